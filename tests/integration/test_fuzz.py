"""Schemathesis against the app's own OpenAPI document, in-process (ASGI), on DynamoDB Local
with the fake upstream: every operation the app has gets positive and negative generated
requests, authenticated with the local test key. No response may be a server error, of an
undocumented status or content type, or off its documented schema."""

from __future__ import annotations

import math
import time
from collections import Counter
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from switchyard_api.app import create_app
from switchyard_tools.devtools.fake_upstream import FakeUpstream
from switchyard_tools.devtools.keys import LOCAL_TEST_KEY

pytestmark = pytest.mark.integration
AUTH = {"authorization": f"Bearer {LOCAL_TEST_KEY}"}
MIN_REQUESTS = 1000
CHECKS = [
    schemathesis.checks.not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# A free-form `model` is almost never a catalog id, so positive bodies get a real one half the
# time, to reach routing, the providers, the cache and the request log rather than a 404.
MODELS = st.sampled_from([None, "auto", "router:cost", "router:speed", "gpt-4o-mini", "llama-3.1-8b"])
MODES = (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE)


def has_inputs(operation: Any) -> bool:
    return bool(len(operation.body) or len(operation.query) or len(operation.path_parameters))


def fuzz(operation: Any, mode: schemathesis.GenerationMode, examples: int, statuses: list[int]) -> None:
    @settings(
        max_examples=examples,
        derandomize=True,  # a fixed seed: the same requests on every run
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode), model=MODELS)
    def run(case: Any, model: str | None) -> None:
        body = case.body
        if mode is MODES[0] and model and isinstance(body, dict) and "model" in body:
            case.body = {**body, "model": model}
        response = case.call(headers=AUTH)
        statuses.append(response.status_code)
        case.validate_response(response, checks=CHECKS)

    try:
        run()
    except Unsatisfiable:
        if mode is MODES[0]:
            raise  # an operation without inputs has no negative requests; every one has positive


def test_generated_requests_never_break_the_contract(provider_env: FakeUpstream) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app())
    operations: list[Any] = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result  # the app's own document resolves
        operations.append(result.ok())
    labels = {op.label for op in operations}
    assert labels >= {
        "POST /v1/chat/completions",
        "POST /v1/dispatch",
        "POST /v1/route",
        "POST /v1/feedback",
        "GET /v1/models",
        "GET /health",
    }
    # the examples per operation and mode that make MIN_REQUESTS (and 5% more) in all, whatever
    # the app's routes; operations without inputs have only a handful of requests to make
    examples = math.ceil(1.05 * MIN_REQUESTS / (2 * sum(map(has_inputs, operations))))
    statuses: list[int] = []
    failures: list[str] = []
    started = time.perf_counter()
    for op in operations:
        for mode in MODES:
            before, t0 = len(statuses), time.perf_counter()
            try:
                fuzz(op, mode, examples, statuses)
            except Exception as exc:  # every operation's failures, reported together
                failures.append(f"{op.label} [{mode.value}]: {exc}")
            print(
                f"{op.label} [{mode.value}]: {len(statuses) - before} requests, {time.perf_counter() - t0:.1f} s"
            )
    elapsed = time.perf_counter() - started
    print(f"fuzz: {len(statuses)} requests in {elapsed:.1f} s; statuses {sorted(Counter(statuses).items())}")
    print(f"upstream calls: {len(provider_env.requests)}")
    assert not failures, "\n\n".join(failures)
    assert len(statuses) >= MIN_REQUESTS
    assert not [s for s in statuses if s >= 500]
