// Runs one Python script under real MicroPython: the webassembly port from the npm registry.
//
//     node run_micropython.mjs SPEC.json
//
// Normally started by tests/firmware/micropython_wasm.py, which installs the port and writes
// the spec. SPEC.json:
//   module       path of the port's micropython.mjs
//   heapsize     initial MicroPython heap in bytes (null: the port's default, 1 MiB); the
//                port grows its heap on demand, so this is no cap
//   files        [[target in the MicroPython file system, host file or folder], ...]
//   script       target path of the script (written into the file system, becomes __file__)
//   source       the script's text
//   argv_py      Python literal (list of str) for sys.argv; ARGS = sys.argv[1:]
//   globals_py   Python literal (dict) of extra globals for the script (e.g. VECTORS_PATH)
//   sys_path     folders put in front of sys.path
//   cwd          working directory ("/" unless given)
//   report       where to write the JSON report (status, exit code, gc figures); optional
//   repl         true: no script; mount the files and give an interactive REPL on stdin
//
// The script's stdout and stderr are passed through as they come. Exit status: the script's
// (0, SystemExit's code, or 1 on an uncaught exception, whose traceback goes to stderr);
// 2 when the runner itself failed (the report says which).
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const spec = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));

// With linebuffer false the port calls us once per byte (a 1-byte Uint8Array): batch them.
function sink(fd) {
  let buf = [];
  const flush = () => {
    if (buf.length) {
      fs.writeSync(fd, Buffer.from(buf));
      buf = [];
    }
  };
  const write = (bytes) => {
    for (const b of bytes) buf.push(b);
    if (buf.length >= 4096 || bytes[bytes.length - 1] === 10) flush();
  };
  return { write, flush };
}
const out = sink(1);
const err = sink(2);

function finish(report, code) {
  out.flush();
  err.flush();
  if (spec.report) fs.writeFileSync(spec.report, JSON.stringify(report));
  process.exit(code);
}

// Host file or folder -> MicroPython file system (Emscripten's in-memory FS), recursively.
function copyIn(FS, host, target) {
  const st = fs.statSync(host);
  if (st.isDirectory()) {
    FS.mkdirTree(target);
    for (const name of fs.readdirSync(host)) {
      if (name === "__pycache__") continue;
      copyIn(FS, path.join(host, name), path.posix.join(target, name));
    }
  } else {
    FS.mkdirTree(path.posix.dirname(target));
    FS.writeFile(target, fs.readFileSync(host));
  }
}

// The driver runs in __main__; the script gets a namespace of its own. Names are prefixed to
// stay out of the way. MicroPython's webassembly port has no blocking asyncio.run (nor
// run_until_complete): the JS event loop drives asyncio. So asyncio.run(coro) here schedules
// coro and returns at once; the driver awaits every such task once the script's top level is
// done (top-level await is allowed: this runs through runPythonAsync).
const DRIVER = `
import sys, gc, asyncio
sys.argv.clear()
sys.argv.extend(eval(_sv_argv_py))
for _sv_p in reversed(eval(_sv_path_py)):
    sys.path.insert(0, _sv_p)
_sv_g = {'__name__': '__main__', '__file__': _sv_file, 'ARGS': sys.argv[1:]}
_sv_g.update(eval(_sv_globals_py))
_sv_tasks = []
def _sv_run(coro):
    _sv_tasks.append(asyncio.create_task(coro))
asyncio.run = _sv_run
_sv_exit = 0
gc.collect()
_sv_mem_before = gc.mem_alloc()
try:
    with open(_sv_file) as _sv_f:
        _sv_code = compile(_sv_f.read(), _sv_file, 'exec')
    exec(_sv_code, _sv_g)
    _sv_code = None
    for _sv_t in _sv_tasks:
        await _sv_t
except SystemExit as _sv_e:
    _sv_exit = _sv_e.args[0] if _sv_e.args else None
    if _sv_exit is None:
        _sv_exit = 0
    elif not isinstance(_sv_exit, int):
        print(_sv_exit, file=sys.stderr)
        _sv_exit = 1
_sv_tasks = None
gc.collect()
_sv_mem_after = gc.mem_alloc()
_sv_mem_free = gc.mem_free()
`;

// A traceback's first frame is the driver's (File "<stdin>", line N); drop it.
function scriptTraceback(message) {
  return message.replace(/^(Traceback \(most recent call last\):\n)  File "<stdin>", line \d+, in <module>\n/, "$1");
}

let mp;
try {
  const { loadMicroPython } = await import(pathToFileURL(spec.module).href);
  const options = { stdout: out.write, stderr: err.write, linebuffer: false };
  if (spec.heapsize) options.heapsize = spec.heapsize;
  mp = await loadMicroPython(options);
  for (const [target, host] of spec.files || []) copyIn(mp.FS, host, target);
  if (spec.cwd) mp.FS.chdir(spec.cwd);
} catch (e) {
  err.write(Buffer.from(`run_micropython.mjs: could not start MicroPython: ${e && e.stack || e}\n`));
  finish({ status: "runner-error", error: String(e) }, 2);
}

if (spec.repl) {
  // Interactive: the port's own REPL, fed byte by byte; Ctrl-D on an empty line leaves.
  mp.runPython(`import sys\nfor _p in reversed(${spec.sys_path_py}):\n    sys.path.insert(0, _p)\n`);
  mp.replInit();
  if (process.stdin.isTTY) process.stdin.setRawMode(true);
  let pending = Promise.resolve(); // keystrokes in order, even when a line awaits
  process.stdin.on("data", (data) => {
    pending = pending.then(async () => {
      for (const byte of data) {
        if (await mp.replProcessCharWithAsyncify(byte)) finish({ status: "ok", exit: 0 }, 0);
      }
    });
  });
  process.stdin.on("end", () => pending.then(() => finish({ status: "ok", exit: 0 }, 0)));
} else {
  try {
    mp.FS.mkdirTree(path.posix.dirname(spec.script));
    mp.FS.writeFile(spec.script, spec.source);
    mp.globals.set("_sv_file", spec.script);
    mp.globals.set("_sv_argv_py", spec.argv_py);
    mp.globals.set("_sv_path_py", spec.sys_path_py);
    mp.globals.set("_sv_globals_py", spec.globals_py);
  } catch (e) {
    err.write(Buffer.from(`run_micropython.mjs: could not prepare the script: ${e && e.stack || e}\n`));
    finish({ status: "runner-error", error: String(e) }, 2);
  }
  try {
    await mp.runPythonAsync(DRIVER);
  } catch (e) {
    if (e && e.name === "PythonError") {
      err.write(Buffer.from(scriptTraceback(e.message)));
      finish({ status: "exception", exit: 1, type: e.type }, 1);
    }
    err.write(Buffer.from(`run_micropython.mjs: MicroPython failed: ${e && e.stack || e}\n`));
    finish({ status: "runner-error", error: String(e) }, 2);
  }
  const g = (name) => mp.globals.get(name);
  const exit = g("_sv_exit");
  finish({
    status: "ok",
    exit,
    mem_alloc_before: g("_sv_mem_before"),
    mem_alloc_after: g("_sv_mem_after"),
    mem_free_after: g("_sv_mem_free"),
  }, exit & 0xff);
}
