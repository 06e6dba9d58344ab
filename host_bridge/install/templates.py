"""The starting site file and the systemd unit, from the templates shipped in the package."""
from __future__ import annotations

import json
import re
import sys
from datetime import date
from importlib import resources
from pathlib import Path
from string import Template

from .. import bundled
from ..site_versions import running_version
from .layout import InitRefused, Layout

# systemd splits ExecStart and ReadWritePaths on spaces and expands % and $: such a path would
# need quoting rules of its own, so it is refused instead
_UNIT_SAFE = re.compile(r"^/[A-Za-z0-9._/+-]*$")


def template(name: str) -> str:
    """A template's text. The one place that says where they are (package data)."""
    return resources.files(__package__).joinpath("templates", name).read_text(encoding="utf-8")


def toml_string(text: str) -> str:
    # JSON's escapes (\" \\ \n \uXXXX) are TOML basic string escapes; names are printable
    return json.dumps(text, ensure_ascii=False)


def site_file(layout: Layout, name: str, site_id: str, public_url: str | None,
              mqtt_url: str | None, mqtt_password: str | None) -> str:
    mqtt = ""
    if mqtt_url is not None:
        mqtt = ("\n# The site's Mosquitto (`suivant init --mosquitto` wrote its accounts; the\n"
                "# device commands keep them up to date). The boards reach it at this address.\n"
                f"[mqtt]\nurl = {toml_string(mqtt_url)}\nusername = \"suivant-bridge\"\n"
                f"password = {toml_string(mqtt_password or '')}\n")
    url_line = (f"public_url = {toml_string(public_url)}   # the address phones reach (QR codes)"
                if public_url else
                "# public_url = \"https://file.mairie.example\"   # the address phones reach: "
                "the QR codes' links")
    return Template(template("site.toml")).substitute(
        name=name, date=date.today().isoformat(), version=running_version(),
        example=bundled.example_site(),
        config=layout.site_file, site_id=toml_string(site_id), site_name=toml_string(name),
        db_path=toml_string(str(layout.db)), devices_path=toml_string(str(layout.devices)),
        public_url_line=url_line,
        mqtt_table=mqtt)


def suivant_command() -> list[str]:
    """How systemd starts this Suivant: the `suivant` script beside this Python (a venv's or
    pipx's bin/), else this Python running the module."""
    script = Path(sys.executable).parent / "suivant"
    return [str(script)] if script.exists() else [sys.executable, "-m", "host_bridge.cli"]


def unit_file(layout: Layout, name: str, user: str, serve_options: list[str],
              with_mosquitto: bool) -> str:
    command = [*suivant_command(), "serve", "--config", str(layout.site_file), *serve_options]
    for part in (*command, str(layout.data_dir), str(layout.config_dir)):
        if part.startswith("/") and not _UNIT_SAFE.match(part):
            raise InitRefused(f"{part!r}: a systemd unit needs paths of letters, digits and "
                              "._/+- only (no spaces): choose another folder")
    return Template(template("suivant.service")).substitute(
        name=name.replace("%", "%%"),  # systemd expands %x in Description
        user=user, exec_start=" ".join(command), data_dir=layout.data_dir,
        config_dir=layout.config_dir,
        after_broker=" mosquitto.service" if with_mosquitto else "")
