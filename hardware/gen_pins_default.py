"""Writes firmware/suivant_fw/pins_default.py from hardware/<role>/pins.json.

pins.json is the single source of truth for the pin maps; the board cannot read hardware/, so
the firmware gets the same maps as a generated Python module (a device whose config.json has no
`pins` uses the one of its role).

    .venv/bin/python hardware/gen_pins_default.py           # (re)write the module
    .venv/bin/python hardware/gen_pins_default.py --check   # exit 1 if it is out of date

tests/firmware/test_device_config.py fails when the module differs from what this script
writes now, and names the command to run.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HARDWARE = Path(__file__).resolve().parent
REPO = HARDWARE.parent
TARGET = REPO / "firmware" / "suivant_fw" / "pins_default.py"
ROLES = ("counter", "display", "hall", "feedback")
COMMAND = ".venv/bin/python hardware/gen_pins_default.py"
WIDTH = 100  # characters per line, the repository's habit

HEADER = '''\
"""The shipped pin map of each role, for a config.json without `pins`.

GENERATED from hardware/<role>/pins.json by hardware/gen_pins_default.py: do not edit. After
changing a pins.json, run `{command}`.
"""

PINS = {{
'''


def _literal(value: object, where: str) -> str:
    """Python source for a pin map value: dicts of str keys, str and int only (no bool,
    float or null, whose JSON and Python spellings differ)."""
    if isinstance(value, dict):
        items = (f"{_literal(k, where)}: {_literal(v, f'{where}.{k}')}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValueError(f"{where}: {value!r} is not a str, an int or an object")
    return json.dumps(value)


def render(hardware: Path = HARDWARE) -> str:
    """The module's text for the pins.json files under `hardware`."""
    out = [HEADER.format(command=COMMAND)]
    for role in ROLES:
        path = hardware / role / "pins.json"
        pins = json.loads(path.read_text(encoding="utf-8"))
        out.append(f'    "{role}": {{\n')
        for key, value in pins.items():
            line = f"        {_literal(key, role)}: {_literal(value, f'{role}.{key}')},\n"
            if len(line) > WIDTH and isinstance(value, dict):  # one entry per line
                line = f"        {_literal(key, role)}: {{\n"
                for k, v in value.items():
                    where = f"{role}.{key}.{k}"
                    line += f"            {_literal(k, role)}: {_literal(v, where)},\n"
                line += "        },\n"
            out.append(line)
        out.append("    },\n")
    out.append("}\n")
    return "".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 if the module is out of date")
    opts = parser.parse_args(argv)
    text = render()
    current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else None
    if opts.check:
        if current != text:
            print(f"{TARGET.relative_to(REPO)} is out of date: run `{COMMAND}`", file=sys.stderr)
            return 1
        return 0
    if current != text:
        TARGET.write_text(text, encoding="utf-8")
        print(f"wrote {TARGET.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
