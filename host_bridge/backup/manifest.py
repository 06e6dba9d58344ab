"""`manifest.json` as `suivant restore` reads it: every key the restore uses checked up front
(types, bounded sizes, plain file names), so an edited or damaged manifest is refused before
anything changes rather than failing half-way with a traceback."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from .take import FORMAT, MANIFEST

_MAX_BYTES = 1 << 20
_MAX_FILES = 64  # a site has about ten


class ManifestRefused(ValueError):
    pass


def _plain_name(name: str) -> str:
    """A file directly in the backup's folder: no folder part, no `..`, no hidden file."""
    if Path(name).name != name or name.startswith(".") or "\\" in name or "\0" in name:
        raise ValueError("not a plain file name in the backup's folder")
    return name


Text = Annotated[str, Field(min_length=1, max_length=200)]
FileName = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_plain_name)]


class FileEntry(BaseModel):
    model_config = ConfigDict(strict=True)
    role: Annotated[str, Field(max_length=40, pattern=r"^[a-z][a-z0-9-]*$")]
    name: FileName
    original: FileName | None = None
    restored: bool = True
    size: Annotated[int, Field(ge=0, le=1 << 44)]
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    schema_version: Annotated[int, Field(ge=0, le=1 << 31)] | None = Field(None, alias="schema")


class Manifest(BaseModel):
    model_config = ConfigDict(strict=True)
    format: Literal[FORMAT]
    site: Text
    suivant: Text
    taken_at: Text
    files: Annotated[list[FileEntry], Field(max_length=_MAX_FILES)]
    left_out: Annotated[dict[Text, Annotated[str, Field(max_length=2000)]],
                        Field(max_length=_MAX_FILES)]


def read_manifest(folder: Path) -> dict:
    """The manifest of a backup folder, as written by take.py. ManifestRefused naming the
    first problems."""
    path = folder / MANIFEST
    if path.stat().st_size > _MAX_BYTES:
        raise ManifestRefused("too large to be a backup's manifest")
    try:
        text = path.read_text(encoding="utf-8")
        manifest = Manifest.model_validate(json.loads(text))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ManifestRefused(f"not JSON: {exc}") from None
    except ValidationError as exc:
        raise ManifestRefused("; ".join(_said(e) for e in exc.errors()[:3])) from None
    for key in ("role", "name"):
        seen = [getattr(f, key) for f in manifest.files]
        twice = {v for v in seen if seen.count(v) > 1}
        if twice:
            raise ManifestRefused(f"two files of the same {key} ({', '.join(sorted(twice))})")
    return manifest.model_dump(by_alias=True)


def _said(error: dict) -> str:
    where = ".".join(str(p) for p in error["loc"]) or "the manifest"
    return f"{where}: {error['msg']}"
