"""A local HTTP server playing an SMS provider, for the SMS tests: it keeps every request
(method, path, headers, body) and answers what the test scripted: a status, or a hang (it
answers nothing until released or the test ends).

    with FakeProvider() as provider:
        provider.script(500, 500)        # the next two requests fail, then 201s again
        ...
        request = provider.wait(1)[0]
"""
from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HANG = "hang"


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    headers: dict[str, str]  # names in lower case (HTTP's are case-insensitive)
    body: bytes

    def json(self):
        return json.loads(self.body)


class FakeProvider:
    def __init__(self):
        self.requests: list[Seen] = []
        self._script: deque = deque()
        self._arrived = threading.Condition()
        self.release = threading.Event()  # set: hanging requests answer (500) and end
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with provider._arrived:
                    provider.requests.append(Seen(self.command, self.path,
                                                  {k.lower(): v for k, v in self.headers.items()}, body))
                    what = provider._script.popleft() if provider._script else 201
                    provider._arrived.notify_all()
                if what == HANG:
                    provider.release.wait(30)
                    what = 500
                answer = b'{"messageId": 1}'
                try:
                    self.send_response(what)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except OSError:
                    pass  # the client gave up (its timeout)

            do_POST = do_PUT = do_GET = _any

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "FakeProvider":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def script(self, *answers) -> None:
        """The next requests' answers (a status, or HANG), then 201 again."""
        with self._arrived:
            self._script.extend(answers)

    def reset(self) -> None:
        with self._arrived:
            self.requests.clear()
            self._script.clear()
        self.release.clear()

    def wait(self, count: int, timeout: float = 5.0) -> list[Seen]:
        with self._arrived:
            assert self._arrived.wait_for(lambda: len(self.requests) >= count, timeout), \
                f"{len(self.requests)} requests reached the provider, expected {count}"
            return list(self.requests)


def forms(number: str) -> list[str]:
    """Every way an E.164 number may be written: what must appear nowhere once forgotten."""
    out = [number, number[1:]]
    if number.startswith("+33"):
        national = "0" + number[3:]
        pairs = [national[i:i + 2] for i in range(0, 10, 2)]
        out += [national, number[3:], " ".join(pairs), ".".join(pairs), "+33 " + number[3] + " " + " ".join(pairs[1:])]
    return out
