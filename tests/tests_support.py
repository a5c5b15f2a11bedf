"""Paths shared by the tests."""

from pathlib import Path

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
