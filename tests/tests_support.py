"""Paths shared by the tests."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"
EVENTS = ROOT / "events"


def provider_env_names() -> tuple[str, ...]:
    """Every environment name the catalog's providers read (keys, base URLs, regions)."""
    from switchyard.catalog import load_catalog

    names = []
    for spec in load_catalog().providers.values():
        names += [n for n in (spec.api_key_env, spec.base_url_env, spec.region_env) if n]
    return (*names, "SWITCHYARD_PROVIDER_SECRET_ARN")


@contextmanager
def trusted(stack: Any, *tenants: str) -> Iterator[None]:
    """The operator marks these tenants as trusted (their feedback trains the shared matrix),
    as `switchyard tenants trust` does; the previous list is restored after."""
    from switchyard.learning.rescore import TRUSTED
    from switchyard.stores.dynamodb import StateStore

    state = StateStore(stack.tables["MatrixTable"], stack.client)
    before = state.get(TRUSTED)
    state.put(TRUSTED, {"tenants": sorted(set(tenants))})
    try:
        yield
    finally:
        if before is None:
            stack.client.delete_item(TableName=stack.tables["MatrixTable"], Key={"name": {"S": TRUSTED}})
        else:
            state.put(TRUSTED, {k: v for k, v in before.items() if k != "name"})


PROVIDER_NAMES = frozenset(provider_env_names())


@contextmanager
def shared_matrix_restored(stack: Any) -> Iterator[Any]:
    """The shared confidence matrix as it was before the block (other tests route on it)."""
    from switchyard.stores.dynamodb import MatrixStore

    matrices = MatrixStore(stack.tables["MatrixTable"], stack.client)
    saved = matrices.get()
    try:
        yield matrices
    finally:
        if saved:
            matrices.put(saved["cells"], str(saved["version"]), str(saved["updated_at"]))
        else:
            stack.client.delete_item(
                TableName=stack.tables["MatrixTable"], Key={"name": {"S": MatrixStore.NAME}}
            )
