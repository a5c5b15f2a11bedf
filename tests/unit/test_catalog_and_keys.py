from __future__ import annotations

import json
from pathlib import Path

import pytest

from switchyard.catalog import load_catalog
from switchyard.errors import ConfigError
from switchyard.tenancy import ApiKeyRecord, create_key, hash_key, new_key, verify


def test_bundled_catalog_has_the_price_table() -> None:
    c = load_catalog()
    assert {"llama-3.1-8b", "gpt-4o-mini", "gpt-4o", "claude-3.5-sonnet"} <= set(c.by_id)
    assert c.by_id["gpt-4o"].cost(1_000_000, 0) == 2.5
    assert c.by_id["llama-3.1-8b"].tier < c.by_id["gpt-4o-mini"].tier < c.by_id["gpt-4o"].tier


def test_invalid_catalog_is_a_config_error(tmp_path: Path) -> None:
    bad = tmp_path / "c.json"
    bad.write_text(
        json.dumps(
            {
                "providers": {},
                "models": [
                    {
                        "id": "x",
                        "provider": "nope",
                        "upstream": "x",
                        "input_per_mtok": 1,
                        "output_per_mtok": 1,
                        "context_window": 1,
                        "tier": 1,
                        "latency_ms": 1,
                    }
                ],
            }
        )
    )
    with pytest.raises(ConfigError):
        load_catalog(bad)


class MemoryKeys:
    def __init__(self) -> None:
        self.items: dict[str, ApiKeyRecord] = {}

    def put(self, record: ApiKeyRecord) -> None:
        self.items[record.key_hash] = record


def test_keys_are_stored_hashed_and_verified() -> None:
    store = MemoryKeys()
    key = create_key(store, "acme", ["gpt-4o-mini"])
    assert key.startswith("sy-") and len(key) > 40
    (record,) = store.items.values()
    assert key not in record.model_dump_json()
    assert record.key_hash == hash_key(key)
    tenant = verify(record, hash_key(key))
    assert (
        tenant is not None
        and tenant.tenant_id == "acme"
        and tenant.allowed_models == frozenset({"gpt-4o-mini"})
    )
    assert verify(record, hash_key(new_key())) is None
    assert verify(None, hash_key(key)) is None
    assert verify(record.model_copy(update={"disabled": True}), hash_key(key)) is None
