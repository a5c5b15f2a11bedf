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


def function(doc: dict[str, Any], logical_id: str, shape: str = "http-api") -> dict[str, Any]:
    """Handler, CodeUri and environment of a function, Globals merged, for one API shape
    (``ApiShape``): ``http-api`` (the Lambda handler, as `sam local invoke` calls it with an
    event) or ``streaming`` (the start command the Lambda Web Adapter runs). Values that
    depend on that shape (``!If [IsStreaming, a, b]``) are resolved; other intrinsics are kept."""
    res = doc["Resources"][logical_id]
    props = res["Properties"]
    glob = doc.get("Globals", {}).get("Function", {})
    env: dict[str, Any] = {}
    for source in (glob, props):
        for k, v in source.get("Environment", {}).get("Variables", {}).items():
            value = _shaped(v, shape)
            if value is not _ABSENT:
                env[k] = value
    handler = _shaped(props["Handler"], shape)
    return {"Handler": handler, "CodeUri": props["CodeUri"], "Environment": env}


_ABSENT = object()


def _shaped(value: Any, shape: str) -> Any:
    """``!If [IsStreaming, a, b]`` → a or b (``!Ref AWS::NoValue`` → absent); anything else as it is."""
    if isinstance(value, dict) and "Fn::If" in value and value["Fn::If"][0] in ("IsStreaming", "IsHttpApi"):
        cond, yes, no = value["Fn::If"]
        chosen = yes if (cond == "IsStreaming") == (shape == "streaming") else no
        return _ABSENT if chosen == {"Ref": "AWS::NoValue"} else chosen
    return value


def env_refs(env: dict[str, Any]) -> dict[str, str]:
    """The environment entries that !Ref a resource: name → logical id."""
    return {k: v["Ref"] for k, v in env.items() if isinstance(v, dict) and "Ref" in v}
