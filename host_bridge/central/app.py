"""Central's HTTP application: the network's pages and their API (issue 14). The NATS side runs
beside it (runner.py); both read and write the same PostgreSQL."""
from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from .config import CentralConfig


def create_app(config: CentralConfig, runner: Any = None) -> FastAPI:
    app = FastAPI(title="Suivant central", version="0.1.0", docs_url=None, redoc_url=None,
                  description=f"The network {config.name}: every site's state and figures.")
    app.state.config = config
    app.state.runner = runner

    @app.get("/api/central/health", tags=["health"],
             summary="Central is up; what its ingest has done since it started")
    def health() -> dict[str, Any]:
        counts = runner.counts if runner is not None else None
        return {"status": "ok", "network": config.name, "sites": len(config.sites),
                "ingest": None if counts is None else vars(counts)}

    return app
