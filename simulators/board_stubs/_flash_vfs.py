# The REPL board's flash, as MicroPython mounts it at "/" (run by simulators/repl_board.mjs at
# each boot, not importable on the board). The webassembly port reports Emscripten's errno
# numbers (ENOENT is 44 there); a board reports the usual ones (ENOENT 2), and mpremote and our
# provisioning rely on them. So the flash is the port's VfsPosix behind this translation, and
# its listings carry file sizes as a board's do. Open files are the port's own (imports need
# its stream): an error while writing one keeps Emscripten's number (ENOSPC is 51).
_ERRNO = {44: 2, 20: 17, 54: 20, 31: 21, 28: 22, 51: 28, 55: 39, 2: 13, 8: 9, 29: 5, 63: 1,
          37: 36, 69: 30}


def _os_error(e):
    code = e.args[0] if e.args and isinstance(e.args[0], int) else None
    return OSError(_ERRNO.get(code, code)) if code is not None else e


class FlashVfs:
    def __init__(self, vfs):
        self._v = vfs

    def _call(self, name, *args):
        try:
            return getattr(self._v, name)(*args)
        except OSError as e:
            raise _os_error(e)

    def mount(self, readonly, mkfs):
        return self._call("mount", readonly, mkfs)

    def umount(self):
        return self._call("umount")

    def ilistdir(self, path):
        base = path.rstrip("/")
        for entry in self._call("ilistdir", path):
            size = 0
            if entry[1] == 0x8000:  # a file: its size, as a board's ilistdir gives
                size = self._call("stat", base + "/" + entry[0])[6]
            yield (entry[0], entry[1], entry[2] if len(entry) > 2 else 0, size)

    def chdir(self, path):
        return self._call("chdir", path)

    def getcwd(self):
        return self._call("getcwd")

    def mkdir(self, path):
        return self._call("mkdir", path)

    def remove(self, path):
        return self._call("remove", path)

    def rename(self, old, new):
        return self._call("rename", old, new)

    def rmdir(self, path):
        return self._call("rmdir", path)

    def stat(self, path):
        return self._call("stat", path)

    def statvfs(self, path):
        return self._call("statvfs", path)

    def open(self, path, mode):
        return self._call("open", path, mode)
