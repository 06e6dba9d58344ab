"""An HTTP answer's body read within a total time, not only within each socket wait: urllib's
timeout bounds every recv, so a server sending a byte a second would hold the reading thread
(the feeds', the RDV Service Public pull's or reporter's) for as long as it liked."""
from __future__ import annotations

import time

CHUNK = 64 * 1024


class TooSlow(TimeoutError):
    """The body was not read within the time given (an OSError, as urllib's timeouts are)."""


def read_within(answer, cap: int, seconds: float, started: float | None = None) -> bytes:
    """At most `cap` + 1 bytes of `answer` (an http.client.HTTPResponse), or TooSlow when
    over `seconds` have passed since `started` (time.monotonic() before the request; by
    default now), plus at worst one socket wait (its timeout)."""
    deadline = (time.monotonic() if started is None else started) + seconds
    chunks: list[bytes] = []
    size = 0
    while size <= cap:
        if time.monotonic() > deadline:
            raise TooSlow(f"not read within {seconds:g} s")
        chunk = answer.read1(min(CHUNK, cap + 1 - size))  # one recv at most: back here soon
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)
