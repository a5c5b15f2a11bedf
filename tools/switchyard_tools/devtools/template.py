"""Read template.yaml: table definitions and function settings, with CloudFormation tags."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


class _CfnLoader(yaml.SafeLoader):  # type: ignore[misc]
    pass


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    return {name: value}


_CfnLoader.add_multi_constructor("!", _tag)


def load(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as fh:
        doc = yaml.load(fh, Loader=_CfnLoader)
    if not isinstance(doc, dict):
        raise ValueError(f"{path} is not a template")
    return doc


def tables(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Logical id → CreateTable arguments (key schema, attributes, billing)."""
    out = {}
    for logical, res in doc.get("Resources", {}).items():
        if res.get("Type") != "AWS::DynamoDB::Table":
            continue
        p = res["Properties"]
        args: dict[str, Any] = {
            "AttributeDefinitions": p["AttributeDefinitions"],
            "KeySchema": p["KeySchema"],
            "BillingMode": p.get("BillingMode", "PAY_PER_REQUEST"),
        }
        if "GlobalSecondaryIndexes" in p:
            args["GlobalSecondaryIndexes"] = p["GlobalSecondaryIndexes"]
        out[logical] = {"create": args, "ttl": p.get("TimeToLiveSpecification")}
    return out


def function(doc: dict[str, Any], logical_id: str) -> dict[str, Any]:
    """Handler, CodeUri and plain (non-intrinsic) environment of a function, Globals merged."""
    res = doc["Resources"][logical_id]
    props = res["Properties"]
    glob = doc.get("Globals", {}).get("Function", {})
    env: dict[str, Any] = {}
    for source in (glob, props):
        env.update(source.get("Environment", {}).get("Variables", {}))
    return {"Handler": props["Handler"], "CodeUri": props["CodeUri"], "Environment": env}


def env_refs(env: dict[str, Any]) -> dict[str, str]:
    """The environment entries that !Ref a resource: name → logical id."""
    return {k: v["Ref"] for k, v in env.items() if isinstance(v, dict) and "Ref" in v}
