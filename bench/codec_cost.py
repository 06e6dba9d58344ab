"""The protocol codec's cost per step on the bridge: the board's own Python code against the
bridge's CPython steps (host_bridge/codec_fast.py), interleaved in one run.

    python -m bench.codec_cost [--rounds 5] [--number 20000]

Each row: the best of --rounds timings of --number calls, in µs per call, with the board's
code and with the bridge's (what host_bridge installs in the shared codec), alternating.
"""
from __future__ import annotations

import argparse
import os
import timeit
from contextlib import contextmanager

from host_bridge import codec_fast
from suivant_fw import mac
from suivant_fw.escape import escape
from suivant_fw.message import Message, decode, encode, peek

from ._common import load_line, machine_lines


@contextmanager
def steps(which: str):
    """The board's code ("board") or the bridge's ("bridge") in the shared codec."""
    saved = {key: getattr(*key) for key in codec_fast.BOARD}
    if which == "board":
        for (module, name), board in codec_fast.BOARD.items():
            setattr(module, name, board)
    try:
        yield
    finally:
        for (module, name), value in saved.items():
            setattr(module, name, value)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--number", type=int, default=20000)
    args = ap.parse_args()
    codec_fast.install()
    key = os.urandom(32)
    press = encode(Message("press", "term-12", "0badf00d", 7, ["next"]), key)
    ack = Message("ack", "term-12", "0badf00d", 7, ["ok", "A123"])
    show = Message("show", "disp-12", "-", 1234, ["0", "0", "A123>12"])
    cases = [
        ("HMAC-SHA256 of a line", lambda: mac.hmac_sha256(key, press)),
        ("escape a field with a space and an accent", lambda: escape("État civil 2")),
        ("encode and sign an ack", lambda: encode(ack, key)),
        ("encode and sign a show", lambda: encode(show, key)),
        ("peek a press (its sender)", lambda: peek(press)),
        ("decode and check a press", lambda: decode(press, key)),
    ]
    for line in machine_lines("/tmp", "-")[:3] + [load_line()]:  # no database here
        print(line)
    print(f"best of {args.rounds} x {args.number} calls, µs per call, board and bridge alternating")
    print(f"{'step':45} {'board':>8} {'bridge':>8}")
    for name, call in cases:
        best = {"board": float("inf"), "bridge": float("inf")}
        for _ in range(args.rounds):
            for which in best:
                with steps(which):
                    t = timeit.timeit(call, number=args.number) / args.number * 1e6
                best[which] = min(best[which], t)
        print(f"{name:45} {best['board']:8.2f} {best['bridge']:8.2f}")


if __name__ == "__main__":
    main()
