"""Web Push (RFC 8030/8291, VAPID RFC 8292): the notifier's channel to citizens' browsers.

`send` only queues (bounded): pywebpush encrypts, signs and posts from this module's worker
threads, each post bounded by a timeout, so a slow or hung push service delays other pushes
at worst, never a command. 404/410 mean the browser dropped the subscription: it is dropped
here too. Other failures are retried a bounded number of times, then given up (logged).
"""
from __future__ import annotations

import dataclasses
import json
import logging
import queue
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from pywebpush import WebPushException, webpush

from .notice import Notice
from .settings import DEFAULT_CONTACT
from .subscriptions import DEFAULT_HOSTS, Subscription, Subscriptions, check
from .vapid_keys import key_path, load_or_create, public_key

log = logging.getLogger(__name__)
CHANNEL = "push"
_GONE = (404, 410)
_NOT_RETRIED = (400, 401, 403, 413)  # our request is wrong: sending it again changes nothing
_TTL = {"near": 600, "called": 180}  # seconds a push service keeps it for an offline phone


@dataclass(frozen=True)
class _Job:
    ticket_id: str
    sub: Subscription
    payload: bytes
    urgency: str
    ttl: int
    attempt: int = 1


class WebPush:
    def __init__(self, db_path: str, notifier: Any, *, contact: str = DEFAULT_CONTACT,
                 hosts: tuple[str, ...] = DEFAULT_HOSTS, allow_loopback: bool = False,
                 timeout: float = 10.0, attempts: int = 3, backoff: float = 2.0,
                 workers: int = 2, queue_size: int = 1000):
        self.vapid = load_or_create(key_path(db_path))
        self.public_key = public_key(self.vapid)
        self.subs = Subscriptions(f"{db_path}.push.db")
        self.notifier = notifier
        self.contact = contact  # the VAPID `sub` (mailto: or https:): required by py-vapid
        self.hosts, self.allow_loopback = hosts, allow_loopback
        self.timeout, self.attempts, self.backoff = timeout, attempts, backoff
        self._jobs: queue.Queue[_Job | None] = queue.Queue(queue_size)
        self._stop = threading.Event()
        self._workers = [threading.Thread(target=self._work, name=f"web-push-{i}", daemon=True)
                         for i in range(workers)]
        self.sent = self.dropped = self.failed = 0  # counts, for the logs and the tests
        notifier.add_channel(CHANNEL, self)
        notifier.on_ended(self.forget)
        for ticket_id in self.subs.tickets():  # kept over a restart; gone ones end at first look
            try:
                notifier.watch(ticket_id, CHANNEL)
            except Exception:  # noqa: BLE001 - full: that ticket's alerts are lost, say so
                log.warning("push: could not watch a ticket again after the restart")

    # ----- the citizen's page --------------------------------------------------------------
    def subscribe(self, ticket_id: str, body: dict[str, Any]) -> None:
        """Raises SubscriptionRefused (bad subscription, too many devices) or the notifier's
        TooManyWatched; nothing is kept then."""
        sub = check(body, self.hosts, self.allow_loopback)
        self.subs.add(ticket_id, sub)
        try:
            self.notifier.watch(ticket_id, CHANNEL)
        except Exception:
            self.subs.drop(ticket_id, sub.endpoint)
            raise

    def unsubscribe(self, ticket_id: str) -> None:
        self.subs.drop(ticket_id)
        self.notifier.unwatch(ticket_id, CHANNEL)

    def forget(self, ticket_id: str) -> None:
        """The ticket ended: its subscriptions go (personal data, no use any more)."""
        self.subs.drop(ticket_id)

    # ----- the notifier's channel ----------------------------------------------------------
    def send(self, notice: Notice) -> None:
        payload = json.dumps({"title": "Suivant", "body": notice.text, "kind": notice.kind,
                              "tag": f"suivant-{notice.ticket_id}", "label": notice.label,
                              "url": f"/ticket/{notice.ticket_id}"}, ensure_ascii=False).encode()
        urgency = "high" if notice.kind == "called" else "normal"
        for sub in self.subs.of(notice.ticket_id):
            self._queue(_Job(notice.ticket_id, sub, payload, urgency, _TTL[notice.kind]))

    def _queue(self, job: _Job) -> None:
        try:
            self._jobs.put_nowait(job)
        except queue.Full:
            self.dropped += 1
            log.warning("push: queue full, a notice to %s dropped", _host(job.sub))

    def start(self) -> "WebPush":
        for worker in self._workers:
            worker.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for _ in self._workers:
            try:
                self._jobs.put_nowait(None)
            except queue.Full:
                break  # the workers see _stop after their current job
        for worker in self._workers:
            if worker.is_alive():
                worker.join(timeout=self.timeout + 1)
        self.subs.close()

    def _work(self) -> None:
        session = requests.Session()
        while not self._stop.is_set():
            job = self._jobs.get()
            if job is None or self._stop.is_set():
                return
            try:
                self._post(session, job)
            except Exception:  # noqa: BLE001 - a worker never dies of one push
                log.exception("push: unexpected failure; the worker goes on")

    def _post(self, session: requests.Session, job: _Job) -> None:
        url = urlsplit(job.sub.endpoint)  # pywebpush signs nothing for empty claims: give aud
        claims = {"aud": f"{url.scheme}://{url.netloc}", "sub": self.contact}
        try:
            webpush(job.sub.info(), job.payload, vapid_private_key=self.vapid,
                    vapid_claims=claims, ttl=job.ttl, timeout=self.timeout,
                    headers={"Urgency": job.urgency}, requests_session=session)
            self.sent += 1
            return
        except WebPushException as exc:
            status = exc.response.status_code if exc.response is not None else None
        except requests.RequestException:  # refused, reset, timed out
            status = None
        if status in _GONE:
            log.info("push: %s says the subscription is gone (%s): dropped", _host(job.sub), status)
            if not self.subs.drop(job.ticket_id, job.sub.endpoint):
                self.notifier.unwatch(job.ticket_id, CHANNEL)
            return
        if status not in _NOT_RETRIED and job.attempt < self.attempts:
            # wait here, in this worker: the other worker goes on with the queue
            if self._stop.wait(self.backoff * 2 ** (job.attempt - 1)):
                return
            self._post(session, dataclasses.replace(job, attempt=job.attempt + 1))
            return
        self.failed += 1
        log.warning("push: %s failed after %d attempt(s) (%s): given up", _host(job.sub),
                    job.attempt, status or "no answer")


def _host(sub: Subscription) -> str:
    """What the logs say of a subscription: its push service, not its address (personal)."""
    return urlsplit(sub.endpoint).hostname or "?"
