// A simulated board's MicroPython: the webassembly port, its REPL on stdin/stdout, its flash a
// host folder. Started by simulators/repl_board.py, which puts a pty in front of it.
//
//     node repl_board.mjs SPEC.json
//
// SPEC.json: module (the port's micropython.mjs), flash (host folder: the board's file
// system, kept across soft and hard resets), board (host folder of stand-in modules such as
// machine.py, importable but not on the flash), capacity (bytes the flash holds).
//
// What it does like a board: the friendly and raw REPL (the port's own), Ctrl-D soft reboot
// (the interpreter restarts, the flash stays, "MPY: soft reboot", boot.py runs, a raw REPL
// stays raw), ENOSPC when the flash is full, os.statvfs reporting that capacity. Where the
// port cannot: raw-paste mode is refused (the answer "R\x00" makes mpremote use the plain raw
// REPL), main.py does not run at boot (the port's asyncio cannot block; a board's main loop
// would never return), and a running program cannot be interrupted (commands run to the end).
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const spec = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const { loadMicroPython } = await import(pathToFileURL(spec.module).href);
const out = (bytes) => fs.writeSync(1, bytes);
const FLASH = "/flash";
const SKIP = new Set([".", ".."]);

let mp = null;
let raw = false; // the REPL is in raw mode (Ctrl-A), as far as the bytes seen tell
let paste = 0; // progress through a raw-paste request: \x05 A \x01

function copyIn(FS, host, target) {
  for (const name of fs.readdirSync(host)) {
    const h = path.join(host, name);
    const t = target + "/" + name;
    if (fs.statSync(h).isDirectory()) {
      FS.mkdir(t);
      copyIn(FS, h, t);
    } else {
      FS.writeFile(t, fs.readFileSync(h));
    }
  }
}

// The flash back to its host folder: what the board holds now, nothing more.
function syncOut(FS, target = FLASH, host = spec.flash) {
  const names = FS.readdir(target).filter((n) => !SKIP.has(n));
  for (const name of fs.readdirSync(host)) {
    if (!names.includes(name)) fs.rmSync(path.join(host, name), { recursive: true, force: true });
  }
  for (const name of names) {
    const t = target + "/" + name;
    const h = path.join(host, name);
    if (FS.isDir(FS.stat(t).mode)) {
      if (fs.existsSync(h) && !fs.statSync(h).isDirectory()) fs.rmSync(h);
      fs.mkdirSync(h, { recursive: true });
      syncOut(FS, t, h);
    } else {
      const data = FS.readFile(t);
      if (!fs.existsSync(h) || !Buffer.from(data).equals(fs.readFileSync(h))) {
        fs.writeFileSync(h, data);
      }
    }
  }
}

function used(FS, dir = FLASH) {
  let n = 0;
  for (const name of FS.readdir(dir)) {
    if (SKIP.has(name)) continue;
    const st = FS.stat(dir + "/" + name);
    n += FS.isDir(st.mode) ? 4096 + used(FS, dir + "/" + name) : st.size;
  }
  return n;
}

async function boot() {
  mp = await loadMicroPython({ stdout: out, stderr: out, linebuffer: false });
  const FS = mp.FS;
  FS.mkdir(FLASH);
  copyIn(FS, spec.flash, FLASH);
  FS.mkdir("/board");
  copyIn(FS, spec.board, "/board");
  // A full flash refuses writes, as a board's does.
  const write = FS.write;
  FS.write = function (stream, buffer, offset, length, position, canOwn) {
    if (stream.path && stream.path.startsWith(FLASH + "/") &&
        used(FS) + length > spec.capacity) {
      throw new FS.ErrnoError(51); // ENOSPC, in Emscripten's numbering
    }
    return write.call(this, stream, buffer, offset, length, position, canOwn);
  };
  const statfs = FS.statfs;
  FS.statfs = function (p) {
    const st = statfs.call(this, p);
    const blocks = Math.floor(spec.capacity / st.bsize);
    const free = Math.max(0, blocks - Math.ceil(used(FS) / st.bsize));
    return { ...st, blocks, bfree: free, bavail: free };
  };
  // The board's view: the stand-ins of its C modules already imported (as built-in modules
  // are: no file on the flash), then the flash at "/" and nothing else of the host's.
  mp.runPython(
    "import os, sys\n" +
    "class _Module:\n" +
    "    pass\n" +
    "for _n in os.listdir('/board'):\n" +
    "    if _n.endswith('.py') and not _n.startswith('_'):\n" +
    "        _g = {'__name__': _n[:-3]}\n" +
    "        exec(open('/board/' + _n).read(), _g)\n" +
    "        _m = _Module()\n" +
    "        for _k in _g:\n" +
    "            setattr(_m, _k, _g[_k])\n" +
    "        sys.modules[_n[:-3]] = _m\n" +
    "exec(open('/board/_flash_vfs.py').read())\n" +
    "os.umount('/')\n" +
    "os.mount(FlashVfs(os.VfsPosix('/flash')), '/')\n" +
    "os.chdir('/')\n" +
    "sys.path.clear()\n" +
    "sys.path.extend(['', '/lib', '.frozen'])\n" +
    "del _Module, _n, _g, _m, _k, FlashVfs\n");
  if (FS.analyzePath(FLASH + "/boot.py").exists) {
    try {
      mp.runPython("exec(open('boot.py').read(), {'__name__': '__main__'})");
    } catch (e) {
      out(Buffer.from(String(e.message || e) + "\r\n"));
    }
  }
  mp.replInit();
}

async function softReset() {
  syncOut(mp.FS);
  out(Buffer.from("MPY: soft reboot\r\n"));
  await boot();
  if (raw) for (const b of Buffer.from("\x01")) mp.replProcessChar(b);
}

async function take(byte) {
  if (raw && paste === 0 && byte === 0x05) { paste = 1; return; }
  if (paste === 1) { paste = byte === 0x41 ? 2 : 0; if (paste) return; mp.replProcessChar(0x05); }
  if (paste === 2) {
    paste = 0;
    if (byte === 0x01) { out(Buffer.from("R\x00")); return; } // no raw paste: use raw REPL
    mp.replProcessChar(0x05); mp.replProcessChar(0x41);
  }
  if (byte === 0x01) raw = true;
  if (byte === 0x02) raw = false;
  const status = mp.replProcessChar(byte);
  if (status === 256) { // PYEXEC_FORCED_EXIT: Ctrl-D on an empty line, a soft reset
    await softReset();
  } else if (byte === 0x04 && raw) {
    syncOut(mp.FS); // a command ran: the flash may have changed
  }
}

await boot();
let chain = Promise.resolve();
process.stdin.on("data", (chunk) => {
  chain = chain.then(async () => { for (const b of chunk) await take(b); });
});
process.stdin.on("end", () => chain.then(() => { syncOut(mp.FS); process.exit(0); }));
process.on("SIGTERM", () => chain.then(() => { syncOut(mp.FS); process.exit(0); }));
