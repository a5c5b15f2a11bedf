"""Every committed event, passed through the Lambda handler in-process (as `sam local
invoke` would, Handler and CodeUri read from template.yaml), gives the status in its name."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from switchyard_tools.devtools.invoke import invoke
from tests_support import EVENTS, TEMPLATE

EVENT_FILES = sorted(p for p in EVENTS.glob("*.json") if "routeKey" in json.loads(p.read_text()))


def expected_status(path: Path) -> int:
    m = re.search(r"-(\d{3})(?:-|$)", path.stem)
    assert m, f"event {path.name} does not name its status"
    return int(m.group(1))


def test_there_is_an_event_per_route() -> None:
    names = " ".join(p.stem for p in EVENT_FILES)
    for route in ("health", "models", "route", "chat-completions", "dispatch", "feedback", "usage"):
        assert route in names
    assert "wrong-key" in names and "malformed-json" in names


@pytest.mark.parametrize("event", EVENT_FILES, ids=lambda p: p.stem)
def test_event_gives_promised_status(event: Path, api_env: object) -> None:
    out = invoke(TEMPLATE, "ApiFunction", event)
    status = expected_status(event)
    assert out["statusCode"] == status, out["body"][:500]
    body = json.loads(out["body"])
    if status >= 400:
        err = body["error"]
        assert set(err) >= {"message", "type", "code"} and err["message"]
        assert "Traceback" not in out["body"]
    if "no-provider" in event.stem:
        assert body["router"]["decision"]["model"]  # the 503 carries the decision
    if event.stem.startswith("route-200"):
        assert body["decision"]["model"] and body["classification"]["task_type"]
