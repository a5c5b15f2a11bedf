"""Authentication: the presented API key → its tenant.

Keys are compared by their SHA-256 in constant time (``tenancy.verify``). A verified key is
remembered per container for ``ttl_seconds`` (a revoked key keeps working that long), and
while the key store is unavailable a key verified before keeps working; an unknown key then
is a StoreError (503), never a guess.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from threading import Lock
from typing import Protocol

from switchyard import telemetry
from switchyard.errors import AuthError, StoreError
from switchyard.tenancy import ApiKeyRecord, Tenant, hash_key, verify

AUTH_CACHE_SECONDS = 60.0


class KeyLookup(Protocol):
    def get(self, key_hash: str) -> ApiKeyRecord | None: ...


def presented_key(headers: Mapping[str, str]) -> str | None:
    """The key from ``Authorization: Bearer …`` (what the OpenAI SDK sends) or ``X-API-Key``."""
    auth = headers.get("authorization")
    if auth:
        scheme, _, value = auth.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    key = headers.get("x-api-key")
    return key.strip() if key and key.strip() else None


class Authenticator:
    def __init__(
        self,
        keys: KeyLookup,
        ttl_seconds: float = AUTH_CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.keys = keys
        self.ttl_seconds = ttl_seconds
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
            if hit:  # the key store is down: honour a key verified before
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
