"""Authentication: the presented API key → its tenant.

Keys are compared by their SHA-256 in constant time (``tenancy.verify``). A verified key is
remembered per container for ``ttl_seconds`` (a revoked key keeps working that long: 60 s).
While the key store is unavailable, a key verified in the last ``max_stale_seconds`` (5 min)
keeps working, so an outage does not lock every caller out; past that, and for any key not
verified before, the answer is a StoreError (503), never a guess. So a revoked key stops
working at most 60 s after revocation, or 5 min when DynamoDB is down at the same time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from threading import Lock
from typing import Protocol

from switchyard import telemetry
from switchyard.errors import AuthError, StoreError
from switchyard.tenancy import ApiKeyRecord, Tenant, hash_key, verify

AUTH_CACHE_SECONDS = 60.0
MAX_STALE_SECONDS = 300.0  # how long a verified key outlives its TTL while the key store is down


class KeyLookup(Protocol):
    def get(self, key_hash: str) -> ApiKeyRecord | None: ...


class Headers(Protocol):
    def getlist(self, key: str) -> list[str]: ...


AMBIGUOUS = (
    "Ambiguous credentials: send exactly one API key, in 'Authorization: Bearer <key>' or 'X-API-Key'."
)


def presented_key(headers: Headers) -> str | None:
    """The key from ``Authorization: Bearer …`` (what the OpenAI SDK sends) or ``X-API-Key``.

    Ambiguity is refused (AuthError), never resolved by a rule the caller cannot see: two
    Authorization or X-API-Key headers (API Gateway joins repeated headers with commas), an
    Authorization header of another scheme beside an X-API-Key, or two different keys."""
    auths = [v for h in headers.getlist("authorization") for v in h.split(",")]
    others = [v for h in headers.getlist("x-api-key") for v in h.split(",")]
    if len(auths) > 1 or len(others) > 1:
        raise AuthError(AMBIGUOUS)
    bearer = None
    if auths:
        scheme, _, value = auths[0].strip().partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            if others:
                raise AuthError(AMBIGUOUS)
            raise AuthError("Unsupported Authorization header: send 'Authorization: Bearer <key>'.")
        bearer = value.strip()
    other = others[0].strip() if others and others[0].strip() else None
    if bearer is not None and other is not None and bearer != other:
        raise AuthError(AMBIGUOUS)
    return bearer or other


class Authenticator:
    def __init__(
        self,
        keys: KeyLookup,
        ttl_seconds: float = AUTH_CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        max_stale_seconds: float = MAX_STALE_SECONDS,
    ) -> None:
        self.keys = keys
        self.ttl_seconds = ttl_seconds
        self.max_stale_seconds = max_stale_seconds
        self.clock = clock
        self._verified: dict[str, tuple[float, Tenant]] = {}
        self._lock = Lock()

    def authenticate(self, key: str | None) -> Tenant:
        if key is None:
            raise AuthError("Missing API key: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'.")
        digest = hash_key(key)
        now = self.clock()
        hit = self._verified.get(digest)
        if hit and now - hit[0] < self.ttl_seconds:
            return hit[1]
        try:
            record = self.keys.get(digest)
        except StoreError:
            telemetry.count("auth_store_errors")
            if hit and now - hit[0] < self.max_stale_seconds:  # the store is down: a key verified lately
                return hit[1]
            raise
        tenant = verify(record, digest)
        if tenant is None:
            raise AuthError("Incorrect API key provided.")
        with self._lock:
            self._verified[digest] = (now, tenant)
        return tenant

    def forget(self) -> None:
        """Drop every remembered key (the next request of each reads the key store)."""
        with self._lock:
            self._verified.clear()
