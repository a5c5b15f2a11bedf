"""template.yaml's IAM and edge, read with the repository's loader and resolved for given
parameter values: each function's DynamoDB grants are exactly the calls its stores make on
each table; Bedrock is limited to the catalog's models; the provider secret's resource is an
ARN (an SSM name becomes one) and its KMS key is granted only when named; the HTTP API is
throttled and access-logged without bodies or headers; every function logs to a group with
a retention; /docs and /openapi.json are routed only with PublicDocs=true."""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from switchyard.catalog import load_catalog
from switchyard_tools.devtools import template
from tests_support import ROOT, TEMPLATE

DOC = template.load(TEMPLATE)
RESOURCES: dict[str, Any] = DOC["Resources"]
PSEUDO = {
    "AWS::Partition": "aws",
    "AWS::Region": "us-east-1",
    "AWS::AccountId": "123456789012",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackName": "switchyard",
}
NO_VALUE = object()
STORES = ROOT / "layers" / "core" / "switchyard" / "stores" / "dynamodb.py"
# where each function builds its stores: `SomeStore(s.<settings field>, client)`
WIRING = {
    "ApiFunction": ROOT / "functions" / "api" / "switchyard_api" / "container.py",
    "RescoreFunction": ROOT / "functions" / "rescore" / "switchyard_rescore" / "handler.py",
}
# store methods a function never calls (everything else a store does must be granted)
NOT_CALLED = {
    "ApiFunction": {
        "KeyStore": {"put"},  # `switchyard keys create`
        "MatrixStore": {"put", "put_tenant"},  # the rescore job
        "FeedbackStore": {"mark_counted", "since"},  # the rescore job
        "UsageStore": {"put_budget"},  # `switchyard budget set`
    },
    "RescoreFunction": {"FeedbackStore": {"put", "exists"}},  # the API
}
SM_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:switchyard/providers-AbCdEf"
SSM_ARN = "arn:aws:ssm:us-east-1:123456789012:parameter/switchyard/providers"
KMS_ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


# ---- a small evaluator of the intrinsic functions the template uses


def parameters(**overrides: str) -> dict[str, str]:
    values = {k: str(p.get("Default", "")) for k, p in DOC["Parameters"].items()}
    unknown = set(overrides) - set(values)
    assert not unknown, f"not template parameters: {unknown}"
    return {**values, **overrides}


def _sub(text: str, params: dict[str, str], extra: dict[str, Any]) -> str:
    def one(m: re.Match[str]) -> str:
        name = m.group(1)
        if name in extra:
            return str(extra[name])
        if name in PSEUDO:
            return PSEUDO[name]
        if name in params:
            return params[name]
        return f"<{name}>"  # a resource's Ref or GetAtt: its logical id stands for it

    return re.sub(r"\$\{([^}!]+)\}", one, text)


class Resolver:
    def __init__(self, params: dict[str, str]) -> None:
        self.params = params
        self.conditions: dict[str, bool] = {}

    def condition(self, name: str) -> bool:
        if name not in self.conditions:
            self.conditions[name] = bool(self.value(DOC["Conditions"][name]))
        return self.conditions[name]

    def value(self, node: Any) -> Any:
        if isinstance(node, list):
            return [v for v in (self.value(x) for x in node) if v is not NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            ((fn, arg),) = node.items()
            if fn == "Ref":
                if arg == "AWS::NoValue":
                    return NO_VALUE
                return PSEUDO.get(arg) or self.params.get(arg, f"<{arg}>")
            if fn == "Fn::GetAtt":
                return f"<{'.'.join(arg) if isinstance(arg, list) else arg}>"
            if fn == "Fn::Sub":
                if isinstance(arg, list):
                    return _sub(arg[0], self.params, {k: self.value(v) for k, v in arg[1].items()})
                return _sub(arg, self.params, {})
            if fn == "Fn::If":
                return self.value(arg[1] if self.condition(arg[0]) else arg[2])
            if fn in ("Condition", "Fn::Condition"):
                return self.condition(arg)
            if fn == "Fn::Equals":
                a, b = (self.value(x) for x in arg)
                return str(a) == str(b)
            if fn == "Fn::Not":
                return not self.value(arg[0])
            if fn == "Fn::And":
                return all(self.value(x) for x in arg)
            if fn == "Fn::Or":
                return any(self.value(x) for x in arg)
            if fn == "Fn::Split":
                return str(self.value(arg[1])).split(arg[0])
            if fn == "Fn::Select":
                return self.value(arg[1])[int(arg[0])]
            if fn == "Fn::Join":
                return arg[0].join(str(x) for x in self.value(arg[1]))
        return {k: v for k, v in ((k, self.value(v)) for k, v in node.items()) if v is not NO_VALUE}


def policies(function_id: str, **params: str) -> list[Any]:
    return Resolver(parameters(**params)).value(RESOURCES[function_id]["Properties"].get("Policies", []))


def statements(function_id: str, **params: str) -> list[dict[str, Any]]:
    out = []
    for p in policies(function_id, **params):
        if isinstance(p, dict) and "Statement" in p:
            out += p["Statement"]
    return out


def as_list(x: Any) -> list[Any]:
    return x if isinstance(x, list) else [x]


def granted(function_id: str, service: str, **params: str) -> dict[str, set[str]]:
    """resource → the actions of this service allowed on it."""
    out: dict[str, set[str]] = {}
    for st in statements(function_id, **params):
        assert st["Effect"] == "Allow"
        actions = {a for a in as_list(st["Action"]) if a.startswith(service + ":")}
        for res in as_list(st["Resource"]) if actions else []:
            out.setdefault(res, set()).update(actions)
    return out


# ---- what the code calls


def _action(method: str) -> str:
    return "dynamodb:" + "".join(part.capitalize() for part in method.split("_"))


def store_calls() -> dict[str, dict[str, set[tuple[str, bool]]]]:
    """store class → method → {(DynamoDB action, on an index)} from stores/dynamodb.py."""
    tree = ast.parse(STORES.read_text(encoding="utf-8"))
    out: dict[str, dict[str, set[tuple[str, bool]]]] = {}
    for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
        for fn in (n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name != "__init__"):
            nodes = list(ast.walk(fn))
            on_index = any(isinstance(n, ast.Constant) and n.value == "IndexName" for n in nodes)
            calls = {
                (_action(n.attr), on_index)
                for n in nodes
                if isinstance(n, ast.Attribute)
                and isinstance(n.value, ast.Attribute)
                and n.value.attr == "client"
                and isinstance(n.value.value, ast.Name)
                and n.value.value.id == "self"
            }
            out.setdefault(cls.name, {})[fn.name] = calls
    return out


def store_index(cls: str) -> str:
    tree = ast.parse(STORES.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == cls:
            for st in node.body:
                if isinstance(st, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == "INDEX" for t in st.targets
                ):
                    return str(ast.literal_eval(st.value))
    raise AssertionError(f"{cls} queries an index but names none (INDEX)")


def wiring(function_id: str) -> list[tuple[str, str]]:
    """(store class, table logical id) for each store the function builds: the settings field
    it passes is SWITCHYARD_<FIELD>, which the template sets to !Ref <Table>."""
    source = WIRING[function_id].read_text(encoding="utf-8")
    env = template.env_refs(template.function(DOC, function_id)["Environment"])
    pairs = re.findall(r"\b(\w*Store|RequestLog)\(s\.(\w+)", source)
    assert pairs, f"no stores found in {WIRING[function_id]}"
    return [(cls, env[f"SWITCHYARD_{field.upper()}"]) for cls, field in pairs]


def needed(function_id: str) -> dict[str, set[str]]:
    calls = store_calls()
    out: dict[str, set[str]] = {}
    for cls, table in wiring(function_id):
        skipped = NOT_CALLED.get(function_id, {}).get(cls, set())
        assert skipped <= set(calls[cls]), f"{cls} has no methods {skipped - set(calls[cls])}"
        for method, ops in calls[cls].items():
            if method in skipped:
                continue
            for action, on_index in ops:
                res = f"<{table}.Arn>/index/{store_index(cls)}" if on_index else f"<{table}.Arn>"
                out.setdefault(res, set()).add(action)
    return out


# ---- DynamoDB


@pytest.mark.parametrize("function_id", sorted(WIRING))
def test_no_sam_dynamodb_policy_templates(function_id: str) -> None:
    """DynamoDBReadPolicy and friends grant Scan, Query, BatchGetItem… on the whole table."""
    templates = [
        name
        for p in policies(function_id)
        if isinstance(p, dict)
        for name in p
        if name.startswith("DynamoDB")
    ]
    assert templates == [], f"{function_id}: use explicit statements, not {templates}"


@pytest.mark.parametrize("function_id", sorted(WIRING))
def test_dynamodb_grants_are_exactly_what_the_stores_call(function_id: str) -> None:
    have = granted(function_id, "dynamodb")
    want = needed(function_id)
    assert have == want, f"{function_id}: granted {have}, the code calls {want}"
    assert all("*" not in res for res in have)


def test_the_api_reads_keys_and_matrix_with_getitem_only() -> None:
    have = granted("ApiFunction", "dynamodb")
    assert have["<KeysTable.Arn>"] == {"dynamodb:GetItem"}
    assert have["<MatrixTable.Arn>"] == {"dynamodb:GetItem"}


# ---- Bedrock


def test_bedrock_is_the_catalogs_models_only() -> None:
    catalog = load_catalog()
    upstreams = {m.upstream for m in catalog.models if catalog.providers[m.provider].kind == "bedrock"}
    assert upstreams, "the catalog has Bedrock models (else this test is moot)"
    region = "eu-west-1"
    have = granted("ApiFunction", "bedrock", BedrockRegion=region)
    want = {f"arn:aws:bedrock:{region}::foundation-model/{u}" for u in upstreams}
    assert set(have) == want, "template.yaml's Bedrock ARNs must list catalog.json's bedrock models"
    assert all(a == {"bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"} for a in have.values())
    assert granted("ApiFunction", "bedrock") == {}, "no Bedrock grant without BedrockRegion"


# ---- the provider secret and its KMS key


@pytest.mark.parametrize(
    ("value", "resource"),
    [
        ("/switchyard/providers", SSM_ARN),
        (SSM_ARN, SSM_ARN),
        (SM_ARN, SM_ARN),
    ],
)
def test_the_provider_secret_is_granted_by_arn(value: str, resource: str) -> None:
    ssm = granted("ApiFunction", "ssm", ProviderSecretArn=value)
    secrets = granted("ApiFunction", "secretsmanager", ProviderSecretArn=value)
    assert set(ssm) == set(secrets) == {resource}
    assert re.fullmatch(DOC["Parameters"]["ProviderSecretArn"]["AllowedPattern"], value)


def test_no_secret_no_secret_grant() -> None:
    assert granted("ApiFunction", "ssm") == {} and granted("ApiFunction", "secretsmanager") == {}


@pytest.mark.parametrize("value", ["switchyard/providers", "parameter/x", "arn:aws:s3:::bucket"])
def test_a_value_iam_cannot_use_is_refused_at_deploy(value: str) -> None:
    assert not re.fullmatch(DOC["Parameters"]["ProviderSecretArn"]["AllowedPattern"], value)


def test_kms_decrypt_only_for_a_named_key_and_through_the_secret_services() -> None:
    assert granted("ApiFunction", "kms", ProviderSecretArn=SM_ARN) == {}
    assert DOC["Parameters"]["ProviderSecretKmsKeyArn"]["Default"] == ""
    have = granted("ApiFunction", "kms", ProviderSecretArn=SM_ARN, ProviderSecretKmsKeyArn=KMS_ARN)
    assert have == {KMS_ARN: {"kms:Decrypt"}}
    (st,) = [
        s for s in statements("ApiFunction", ProviderSecretKmsKeyArn=KMS_ARN) if "kms:Decrypt" in s["Action"]
    ]
    assert set(st["Condition"]["StringEquals"]["kms:ViaService"]) == {
        "secretsmanager.us-east-1.amazonaws.com",
        "ssm.us-east-1.amazonaws.com",
    }
    pattern = DOC["Parameters"]["ProviderSecretKmsKeyArn"]["AllowedPattern"]
    assert re.fullmatch(pattern, KMS_ARN) and not re.fullmatch(pattern, "alias/switchyard")


# ---- the edge: throttling, access log, log retention, routes


def http_api(**params: str) -> dict[str, Any]:
    props: dict[str, Any] = Resolver(parameters(**params)).value(RESOURCES["HttpApi"]["Properties"])
    return props


def log_group(ref: str) -> dict[str, Any]:
    name = ref.strip("<>").removesuffix(".Arn")
    res = RESOURCES[name]
    assert res["Type"] == "AWS::Logs::LogGroup", name
    props: dict[str, Any] = Resolver(parameters()).value(res["Properties"])
    return props


def test_the_api_is_throttled_by_default() -> None:
    routes = http_api()["DefaultRouteSettings"]
    assert (float(routes["ThrottlingBurstLimit"]), float(routes["ThrottlingRateLimit"])) == (200, 100)
    routes = http_api(ApiThrottlingBurstLimit="20", ApiThrottlingRateLimit="5")["DefaultRouteSettings"]
    assert (routes["ThrottlingBurstLimit"], routes["ThrottlingRateLimit"]) == ("20", "5")


def test_the_access_log_has_retention_and_no_bodies_or_headers() -> None:
    settings = http_api()["AccessLogSettings"]
    assert int(log_group(settings["DestinationArn"])["RetentionInDays"]) == 30
    fmt = settings["Format"]
    fields = json.loads(fmt)  # one JSON object per request
    assert {"requestId", "status", "routeKey", "responseLatency"} <= set(fields)
    lowered = fmt.lower()
    assert "$request." not in lowered  # $request.header.*, .querystring.*, .body.*
    assert "authorization" not in lowered and "body" not in lowered and "header" not in lowered


def test_every_function_logs_to_a_group_with_a_retention() -> None:
    functions = [k for k, r in RESOURCES.items() if r["Type"] == "AWS::Serverless::Function"]
    assert sorted(functions) == sorted(WIRING)
    for fid in functions:
        ref = (
            Resolver(parameters())
            .value(RESOURCES[fid]["Properties"].get("LoggingConfig", {}))
            .get("LogGroup")
        )
        assert ref, f"{fid} has no LoggingConfig.LogGroup (Lambda would create one that never expires)"
        group = log_group(ref)
        assert group["LogGroupName"].startswith("/aws/lambda/")
        assert int(group["RetentionInDays"]) == 30
    assert (
        Resolver(parameters(LogGroupRetentionDays="7")).value(
            RESOURCES["ApiLogGroup"]["Properties"]["RetentionInDays"]
        )
        == "7"
    )


def rest_routes(public_docs: bool = False) -> set[str]:
    """Every route of the streaming shape's REST API: its methods and their resources' paths."""

    def path(ref: object) -> str:
        if isinstance(ref, dict) and "Fn::GetAtt" in ref:  # the API's root resource
            return ""
        rid = ref["Ref"] if isinstance(ref, dict) else str(ref)
        res = RESOURCES[rid]["Properties"]
        return f"{path(res['ParentId'])}/{res['PathPart']}"

    live = {"IsStreaming", *(["IsStreamingWithPublicDocs"] if public_docs else [])}
    return {
        f"{r['Properties']['HttpMethod']} {path(r['Properties']['ResourceId'])}"
        for r in RESOURCES.values()
        if r["Type"] == "AWS::ApiGateway::Method" and r.get("Condition") in live
    }


def test_the_streaming_shape_streams_to_the_alias() -> None:
    assert DOC["Parameters"]["ApiShape"]["Default"] == "streaming"
    methods = [r for r in RESOURCES.values() if r["Type"] == "AWS::ApiGateway::Method"]
    assert methods and all(
        m["Properties"]["Integration"]["ResponseTransferMode"] == "STREAM" for m in methods
    )
    for m in methods:
        uri = json.dumps(m["Properties"]["Integration"]["Uri"])
        assert (
            "2021-11-15/functions/" in uri
            and "response-streaming-invocations" in uri
            and "ApiFunction.Alias" in uri
        )
    fn = RESOURCES["ApiFunction"]["Properties"]
    assert fn["AutoPublishAlias"] and fn["SnapStart"] == {"ApplyOn": "PublishedVersions"}
    assert fn["Handler"] == {"Fn::If": ["IsStreaming", "run.sh", "switchyard_api.handler.handler"]}
    assert (ROOT / "functions" / "api" / "run.sh").stat().st_mode & 0o111  # executable


def routes(**params: str) -> set[str]:
    """Every route key the HTTP API has: the functions' HttpApi events and the body's paths."""
    out = set()
    functions = [r for r in RESOURCES.values() if r["Type"] == "AWS::Serverless::Function"]
    for fn in functions:
        for ev in fn["Properties"].get("Events", {}).values():
            if ev["Type"] == "HttpApi":
                props = ev.get("Properties", {})
                out.add(f"{props.get('Method', 'ANY').upper()} {props.get('Path', '$default')}")
    body = http_api(**params).get("DefinitionBody", {})
    for path, item in body.get("paths", {}).items():
        for method in item:
            out.add(f"{'ANY' if method == 'x-amazon-apigateway-any-method' else method.upper()} {path}")
    return out


DOCS = {"GET /docs", "GET /redoc", "GET /openapi.json"}


def test_docs_are_not_routed_by_default() -> None:
    assert DOC["Parameters"]["PublicDocs"]["Default"] == "false"
    for have in (routes(), rest_routes()):
        assert not {r for r in have if r.endswith(" $default") or r.endswith(" /{proxy+}")}, have
        assert have == {"ANY /v1/{proxy+}", "GET /health"}


def test_public_docs_routes_the_docs() -> None:
    assert routes(PublicDocs="true") == {"ANY /v1/{proxy+}", "GET /health", *DOCS}
    assert rest_routes(public_docs=True) == {
        "ANY /v1/{proxy+}",
        "GET /health",
        "GET /docs",
        "GET /openapi.json",
    }
    for name in ("HttpApiInvokePermission", "RestInvokePermission"):
        perm = RESOURCES[name]["Properties"]
        assert perm["FunctionName"] == {"Ref": "ApiFunction.Alias"}


def test_every_app_route_is_routed() -> None:
    """Each route of the app's OpenAPI document reaches the function (/v1/* or its own route)."""
    from switchyard_api.app import create_app

    routed = routes() & rest_routes()  # the same routes in both shapes
    paths = create_app().openapi()["paths"]
    assert "/health" in paths and "/v1/chat/completions" in paths
    for path, item in paths.items():
        for method in item:
            assert any(route_matches(r, method, path) for r in routed), f"{method} {path} is not routed"


def route_matches(route: str, method: str, path: str) -> bool:
    """API Gateway's matching for the route keys used here: exact, greedy {proxy+}, $default."""
    verb, _, pattern = route.partition(" ")
    if verb not in ("ANY", method.upper()):
        return False
    if pattern == "$default":
        return True
    if pattern.endswith("/{proxy+}"):
        prefix = pattern.removesuffix("{proxy+}")
        return path.startswith(prefix) and len(path) > len(prefix)
    return pattern == path


def test_the_local_environment_still_comes_from_the_template() -> None:
    """The tests' DynamoDB Local tables and function environment are read from template.yaml."""
    from switchyard_tools.devtools.dynamodb_local import local_environment

    tables = {k: f"t-{k}" for k in template.tables(DOC)}
    env = local_environment(TEMPLATE, "ApiFunction", tables, "http://127.0.0.1:1")
    assert env["SWITCHYARD_KEYS_TABLE"] == "t-KeysTable" and env["SWITCHYARD_USAGE_TABLE"] == "t-UsageTable"
    assert env["BEDROCK_REGION"] == "" and env["SWITCHYARD_LOG_PROMPTS"] == "false"


# ---- and what the functions really call, on DynamoDB Local (Java: skipped by `make unit`)


@pytest.fixture
def dynamodb_calls() -> Iterator[list[tuple[str, str, str | None]]]:
    """(operation, table, index) of every DynamoDB call made by clients created meanwhile."""
    import boto3

    calls: list[tuple[str, str, str | None]] = []

    def record(params: dict[str, Any], model: Any, **_: Any) -> None:
        tables = list(params.get("RequestItems", {})) or [params["TableName"]]
        calls.extend((model.name, t, params.get("IndexName")) for t in tables)

    previous = boto3.DEFAULT_SESSION
    boto3.setup_default_session()
    assert boto3.DEFAULT_SESSION is not None
    boto3.DEFAULT_SESSION.events.register("before-parameter-build.dynamodb", record)
    yield calls
    boto3.DEFAULT_SESSION = previous


def test_every_dynamodb_call_of_the_functions_is_granted(provider_env, api_env, dynamodb_calls) -> None:
    """The API's routes (completions with the cache and a budget, feedback, usage) and one
    rescore run on DynamoDB Local: each call they make is allowed by their role's policy."""
    from fastapi.testclient import TestClient

    from switchyard.stores.dynamodb import KeyStore, UsageStore
    from switchyard.tenancy import create_key
    from switchyard_api import deps
    from switchyard_api.app import create_app
    from switchyard_tools.devtools.invoke import invoke
    from tests_support import EVENTS

    key = create_key(KeyStore(api_env.tables["KeysTable"], api_env.client), "iam-check")
    UsageStore(api_env.tables["UsageTable"], api_env.client).put_budget(
        "iam-check", {"monthly_usd": 100.0, "hard_cap_usd": 200.0}
    )
    auth = {"authorization": f"Bearer {key}"}
    chat = {"model": "auto", "messages": [{"role": "user", "content": "Write a haiku about IAM policies."}]}
    deps.reset()
    with TestClient(create_app()) as client:
        first = client.post("/v1/chat/completions", headers=auth, json=chat)
        assert first.status_code == 200, first.text
        assert client.post("/v1/chat/completions", headers=auth, json=chat).status_code == 200  # cached
        rid = first.json()["router"]["request_id"]
        assert (
            client.post("/v1/feedback", headers=auth, json={"request_id": rid, "rating": "up"}).status_code
            == 200
        )
        assert client.get("/v1/usage", headers=auth).status_code == 200
        assert client.post("/v1/route", headers=auth, json={"messages": chat["messages"]}).status_code == 200
    api_calls = list(dynamodb_calls)
    dynamodb_calls.clear()
    invoke(TEMPLATE, "RescoreFunction", EVENTS / "rescore-scheduled.json")
    rescore_calls = list(dynamodb_calls)

    logical = {name: lid for lid, name in api_env.tables.items()}
    for function_id, calls in (("ApiFunction", api_calls), ("RescoreFunction", rescore_calls)):
        assert calls, f"{function_id} made no DynamoDB call"
        have = granted(function_id, "dynamodb")
        for op, table, index in set(calls):
            res = f"<{logical[table]}.Arn>" + (f"/index/{index}" if index else "")
            assert f"dynamodb:{op}" in have.get(res, set()), f"{function_id} calls {op} on {res}: not granted"
