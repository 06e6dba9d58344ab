"""Where an installed site's files go: Debian's conventions by default (config in /etc,
data in /var/lib, the unit in /etc/systemd/system), any folders when asked (tests, trials)."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

_SLUG_CUT = re.compile(r"[^a-z0-9]+")
_USER = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")  # Debian's adduser --system accepts these
MAX_NAME = 100


class InitRefused(Exception):
    """A refusal to print as `suivant: <message>` with exit status 2; nothing was written."""


def site_id_from(name: str) -> str:
    """"Mairie de Saint-Étienne" -> "mairie-de-saint-etienne" (a site id: a-z 0-9 -, 1-40)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = _SLUG_CUT.sub("-", ascii_name.lower()).strip("-")[:40].rstrip("-")
    return slug or "site"


def _printable(text: str) -> bool:
    """No control character nor line break; any space (a non-breaking one too) is fine."""
    return not any(unicodedata.category(c)[0] == "C" or unicodedata.category(c) in ("Zl", "Zp")
                   for c in text)


def check_site_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > MAX_NAME or not _printable(name):
        raise InitRefused(f"--site: the site's name as people read it, 1 to {MAX_NAME} "
                          "printable characters (e.g. \"Mairie de Villeneuve\")")
    if name.endswith("\\"):  # systemd would join the unit's next line to its Description
        raise InitRefused("--site: the site's name cannot end with a backslash (\\)")
    return name


def check_user(user: str) -> str:
    if not _USER.match(user):
        raise InitRefused(f"--user {user!r}: a system user name (lowercase letters, digits, "
                          "'-' and '_', at most 32)")
    return user


@dataclass(frozen=True)
class Layout:
    config_dir: Path
    data_dir: Path
    unit_dir: Path
    mosquitto_dir: Path | None  # None: the site runs without Mosquitto

    @property
    def site_file(self) -> Path:
        return self.config_dir / "site.toml"

    @property
    def db(self) -> Path:
        return self.data_dir / "suivant.db"

    @property
    def devices(self) -> Path:
        return self.data_dir / "devices.db"

    @property
    def unit(self) -> Path:
        return self.unit_dir / "suivant.service"

    def config_files(self) -> list[Path]:
        """What init writes and --force may replace."""
        out = [self.site_file, self.unit]
        if self.mosquitto_dir is not None:
            out += [self.mosquitto_dir / n for n in ("passwd", "acl", "mosquitto.conf")]
        return out

    def data_files(self) -> list[Path]:
        """A site's data: never replaced, not even with --force."""
        from ..staff import staff_path
        return [self.db, Path(staff_path(str(self.db))), self.devices]


def existing(paths: list[Path]) -> list[Path]:
    return [p for p in paths if p.exists() or p.is_symlink()]
