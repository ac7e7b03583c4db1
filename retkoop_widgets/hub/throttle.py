"""Login throttling per (login, source address) instead of an account lock.

Why not a lock: "five wrong passwords lock the account for ten minutes" lets a stranger who
knows a login keep that person out forever, and its message told which logins exist. Here
failures slow down *that* pair only: after ``free_failures`` wrong passwords from one
address for one login, the next attempt from that address is refused without even checking
the password until a delay has passed, and the delay doubles at each further failure (up to
``max_delay``). The same person on another address is not affected. Every address also has
a wider budget across all logins (``free_failures_per_address``: password spraying).

The refusal is the same sentence as a wrong password or an unknown login. The state lives in
the hub's memory (a restart clears it, which an attacker cannot cause);
``retkoop user unlock`` / ``reset`` clear a login's entries through the hub's session watch.
"""
from __future__ import annotations

import ipaddress
import threading
import time
from dataclasses import dataclass


@dataclass
class _Entry:
    failures: int = 0
    until: float = 0.0  # monotonic time before which attempts are refused
    last: float = 0.0


class LoginThrottle:
    def __init__(self, free_failures: int = 3, base_delay: float = 2.0, max_delay: float = 900.0,
                 free_failures_per_address: int = 30, clock=time.monotonic):
        self.free_failures = free_failures
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.free_failures_per_address = free_failures_per_address
        self.clock = clock
        self._entries: dict[tuple[str, str], _Entry] = {}
        self._lock = threading.Lock()

    def wait(self, login: str, address: str) -> float:
        """Seconds before ``login`` may be tried again from ``address`` (0: now)."""
        now = self.clock()
        with self._lock:
            waits = [e.until - now for e in (self._entries.get((login, address)),
                                             self._entries.get(("*", address))) if e]
        return max([0.0, *waits])

    def _bump(self, key, free: int, now: float) -> float:
        e = self._entries.setdefault(key, _Entry())
        e.failures += 1
        e.last = now
        if e.failures > free:
            delay = min(self.base_delay * 2 ** (e.failures - free - 1), self.max_delay)
            e.until = now + delay
            return delay
        return 0.0

    def failure(self, login: str, address: str) -> float:
        """Record a wrong password; returns the delay now imposed (0: none yet)."""
        now = self.clock()
        with self._lock:
            self._purge(now)
            d1 = self._bump((login, address), self.free_failures, now)
            d2 = self._bump(("*", address), self.free_failures_per_address, now)
        return max(d1, d2)

    def success(self, login: str, address: str) -> None:
        with self._lock:
            self._entries.pop((login, address), None)

    def clear(self, login: str) -> None:
        with self._lock:
            for key in [k for k in self._entries if k[0] == login]:
                del self._entries[key]

    def _purge(self, now: float) -> None:
        if len(self._entries) < 10_000:
            return
        old = [k for k, e in self._entries.items() if e.until < now and now - e.last > self.max_delay]
        for k in old:
            del self._entries[k]


def client_address(request, trusted_proxies=()) -> str:
    """The address a request comes from, as the proxy chain proves it.

    ``configurable-http-proxy`` appends the address of whoever connected to it to
    ``X-Forwarded-For``: that last entry is reliable. Only when it is a trusted reverse
    proxy (nginx on the same machine, ``trusted_proxies``) do we believe what that proxy
    says (``X-Real-IP``, else the entry before). Anything else a client writes in those
    headers is ignored (tornado's ``remote_ip`` believes ``X-Real-Ip`` from anybody).
    """
    chain = [p.strip() for p in request.headers.get("X-Forwarded-For", "").split(",") if p.strip()]
    peer = chain[-1] if chain else request.connection.context.address[0] \
        if getattr(request.connection, "context", None) else request.remote_ip
    if peer in trusted_proxies:
        real = request.headers.get("X-Real-Ip", "").strip()
        if real:
            peer = real
        elif len(chain) >= 2:
            peer = chain[-2]
    try:
        return str(ipaddress.ip_address(peer))
    except ValueError:
        return "?"
