"""Where the files shipped with Suivant are: the example site, the firmware to flash, the pin maps.

    bundled.example_site()     # .../examples/mairie.toml (what `suivant demo` runs)
    bundled.firmware()         # the folder with main.py, fw_swap.py and suivant_fw/
    bundled.hardware()         # the pin maps, wiring and bills of materials of each role

The repository keeps them at its top (examples/, firmware/, hardware/); the wheel carries them
under host_bridge/_bundle/ (pyproject.toml's package-dir maps them there). An installed package
finds them there, a source checkout (the editable install) at the top of the checkout. Always
real folders: pip installs a wheel unzipped, and mpy-cross and the site loader read files.
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path

EXAMPLE_SITE = "mairie.toml"
EXAMPLE_TRAFFIC = "traffic-mairie.toml"


def root() -> Path:
    """The folder holding examples/, firmware/ and hardware/."""
    packaged = Path(str(resources.files(__package__))) / "_bundle"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parents[1]


def examples() -> Path:
    """The example town hall: its site file, traffic profile, calendar, Prometheus alerts."""
    return root() / "examples"


def example_site() -> Path:
    return examples() / EXAMPLE_SITE


def example_traffic() -> Path:
    return examples() / EXAMPLE_TRAFFIC


def firmware() -> Path:
    return root() / "firmware"


def hardware() -> Path:
    return root() / "hardware"
