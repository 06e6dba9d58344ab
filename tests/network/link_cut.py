"""A site's WAN link to central's NATS server, cut for real: a TCP relay between them that, when
cut, closes every connection through it and refuses new ones (the site's NATS client sees its
connection die and its reconnections fail), until it is restored.

    link = Link(("127.0.0.1", nats_port)).start()    # the site connects to link.url
    link.cut(); ...; link.restore(); link.close()
    link.blackhole()      # a WAN that silently loses everything: connections stay open, nothing
                          # goes through either way, new ones hang (no reset to notice)
"""
from __future__ import annotations

import socket
import threading

from support import free_port


class Link:
    def __init__(self, upstream: tuple[str, int]):
        self.upstream = upstream
        self.port = free_port()
        self.up = True
        self.dark = threading.Event()  # set: a blackhole
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._server = socket.create_server(("127.0.0.1", self.port))
        self._closed = False

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> Link:
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            if not self.up:
                client.close()
                continue
            if self.dark.is_set():  # accepted, then nothing: the connect times out
                with self._lock:
                    self._sockets.add(client)
                continue
            try:
                server = socket.create_connection(self.upstream, 2)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets |= {client, server}
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                if self.dark.is_set():
                    continue  # lost on the way
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()
            with self._lock:
                self._sockets.discard(s)

    def cut(self) -> None:
        self.up = False
        with self._lock:
            sockets = list(self._sockets)
        for s in sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def blackhole(self) -> None:
        self.dark.set()

    def restore(self) -> None:
        """After a cut or a blackhole: connections go through again (those a blackhole held
        are closed, as a WAN's NAT forgets them)."""
        if self.dark.is_set():
            self.dark.clear()
            self.cut()
        self.up = True

    def close(self) -> None:
        self._closed = True
        self.cut()
        self._server.close()
