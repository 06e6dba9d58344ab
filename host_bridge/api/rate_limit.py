"""Per-client token buckets for anonymous writes (taking a ticket, giving it up, counting an
FAQ reading): a script that floods the queue is slowed to a trickle, people never notice.

Keyed by the client address uvicorn gives (`scope["client"]`): uvicorn replaces it with
X-Forwarded-For only from the proxies it is told to trust (`forwarded_allow_ips`, by default
127.0.0.1); this module never reads that header itself. IPv6 clients are keyed by their /64,
the block one machine usually holds, so rotating addresses within it buys nothing.
"""
from __future__ import annotations

import ipaddress
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable


class TokenBuckets:
    """`burst` requests at once, then `per_minute`; at most `max_clients` buckets are kept and
    the least recently seen goes first (it has refilled the most, so forgetting it costs the
    least). Used from the event loop's thread only: no lock."""

    def __init__(self, burst: int, per_minute: float, max_clients: int,
                 clock: Callable[[], float] = time.monotonic):
        if burst < 1 or per_minute <= 0 or max_clients < 1:
            raise ValueError("burst >= 1, per_minute > 0 and max_clients >= 1")
        self.burst = float(burst)
        self.rate = per_minute / 60.0  # tokens per second
        self.max_clients = max_clients
        self._clock = clock
        self._buckets: OrderedDict[str, list[float]] = OrderedDict()  # key -> [tokens, at]

    def __len__(self) -> int:
        return len(self._buckets)

    def take(self, key: str) -> float:
        """0.0 when `key` may go on (one token taken); otherwise the seconds until it may."""
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self.max_clients:
                self._buckets.popitem(last=False)
            bucket = self._buckets[key] = [self.burst, now]
        else:
            self._buckets.move_to_end(key)
            bucket[0] = min(self.burst, bucket[0] + (now - bucket[1]) * self.rate)
            bucket[1] = now
        if bucket[0] >= 1.0:
            bucket[0] -= 1.0
            return 0.0
        return (1.0 - bucket[0]) / self.rate


class ClientKeys:
    """The bucket key of a client address, or None for a client that is not limited: one on
    an unlimited network, or one without an IP address (a Unix socket, an in-process test
    client): a per-client limit needs a client to tell apart."""

    def __init__(self, unlimited: Iterable[str]):
        self._unlimited = tuple(ipaddress.ip_network(n, strict=False) for n in unlimited)
        self._cache: dict[str, str | None] = {}  # bounded below: addresses are many, keys few

    def key(self, host: str) -> str | None:
        try:
            return self._cache[host]
        except KeyError:
            pass
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            key = None
        else:
            if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
                address = address.ipv4_mapped
            if any(address in net for net in self._unlimited):
                key = None
            elif address.version == 6:
                key = str(ipaddress.ip_network(f"{address}/64", strict=False))
            else:
                key = str(address)
        if len(self._cache) >= 4096:
            self._cache.clear()
        self._cache[host] = key
        return key
