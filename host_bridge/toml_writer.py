"""Writing a site config back as TOML, for the administration page: tables as `[table]`,
arrays of tables as `[[table]]` (as people write them), strings escaped the JSON way (which
TOML's basic strings read the same). Only what a site config holds: tables, arrays of tables,
strings, integers, finite floats, booleans and arrays of those.

    text = dumps(document)          # tomllib.loads(text) == document
"""
from __future__ import annotations

import json
import math
import re
from typing import Any

_BARE = re.compile(r"[A-Za-z0-9_-]+")


def _string(text: str) -> str:
    # JSON escapes quotes, backslashes and U+0000-001F as TOML does; TOML also refuses a raw DEL
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _key(k: str) -> str:
    return k if _BARE.fullmatch(k) else _string(k)


def _is_tables(v: Any) -> bool:
    return isinstance(v, list) and bool(v) and all(isinstance(x, dict) for x in v)


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            raise ValueError(f"not a finite number: {v!r}")
        return repr(v)
    if isinstance(v, str):
        return _string(v)
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_value(x)}" for k, x in v.items()) + " }"
    raise ValueError(f"cannot write {type(v).__name__} {v!r} as TOML")


def _body(table: dict[str, Any], path: list[str], out: list[str]) -> None:
    for k, v in table.items():
        if not isinstance(v, dict) and not _is_tables(v):
            out.append(f"{_key(k)} = {_value(v)}")
    for k, v in table.items():
        if isinstance(v, dict):
            out.append("")
            out.append("[" + ".".join(map(_key, [*path, k])) + "]")
            _body(v, [*path, k], out)
    for k, v in table.items():
        if _is_tables(v):
            for item in v:
                out.append("")
                out.append("[[" + ".".join(map(_key, [*path, k])) + "]]")
                _body(item, [*path, k], out)


def dumps(document: dict[str, Any], header: str = "") -> str:
    out = [f"# {line}" if line else "#" for line in header.splitlines()]
    _body(document, [], out)
    return "\n".join(out).lstrip("\n") + "\n"
