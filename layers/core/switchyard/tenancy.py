"""API keys and tenants: keys are random, shown once, stored only as SHA-256 hashes."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Protocol

from pydantic import BaseModel

KEY_PREFIX = "sy-"


class ApiKeyRecord(BaseModel):
    key_hash: str
    tenant_id: str
    key_id: str  # first characters of the key, safe to show and log
    allowed_models: list[str] | None = None
    created_at: str
    disabled: bool = False


class Tenant(BaseModel):
    tenant_id: str
    key_id: str
    allowed_models: frozenset[str] | None = None
    rater_id: str = ""  # the key as a feedback rater: opaque, stable, reveals nothing of the key


def rater_id(key_hash: str) -> str:
    """The rater identity of a key: derived by the server from the key's hash (a client cannot
    choose it, and it says nothing about the key itself)."""
    return "rater-" + hashlib.sha256(b"switchyard-rater:" + key_hash.encode("ascii")).hexdigest()[:20]


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    # Keys carry 256 bits of randomness, so a fast hash is not brute-forceable; no salt needed
    # (and none possible: the hash is the lookup key).
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def key_id(key: str) -> str:
    return key[: len(KEY_PREFIX) + 6]


def verify(record: ApiKeyRecord | None, presented_hash: str) -> Tenant | None:
    """The tenant for a presented key's hash, compared in constant time."""
    if record is None or record.disabled:
        # same work on a miss as on a hit
        hmac.compare_digest(presented_hash, "0" * 64)
        return None
    if not hmac.compare_digest(record.key_hash, presented_hash):
        return None
    allowed = frozenset(record.allowed_models) if record.allowed_models else None
    return Tenant(
        tenant_id=record.tenant_id,
        key_id=record.key_id,
        allowed_models=allowed,
        rater_id=rater_id(record.key_hash),
    )


class KeyWriter(Protocol):
    def put(self, record: ApiKeyRecord) -> None: ...


def create_key(
    store: KeyWriter, tenant_id: str, allowed_models: list[str] | None = None, key: str | None = None
) -> str:
    """Create (or register a given) key for a tenant; returns the key, stores only its hash."""
    from datetime import UTC, datetime

    key = key or new_key()
    store.put(
        ApiKeyRecord(
            key_hash=hash_key(key),
            tenant_id=tenant_id,
            key_id=key_id(key),
            allowed_models=allowed_models,
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        )
    )
    return key
