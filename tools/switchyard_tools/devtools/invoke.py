"""Invoke a template function in-process with an event file, as `sam local invoke` would
(without Docker): Handler, CodeUri and Environment are read from template.yaml."""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from switchyard_tools.devtools import template


@dataclass
class LambdaContext:
    function_name: str = "switchyard-local"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 1024
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:000000000000:function:switchyard-local"
    log_group_name: str = "/aws/lambda/switchyard-local"
    log_stream_name: str = "local"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def load_handler(template_path: Path, function_id: str) -> Any:
    fn = template.function(template.load(template_path), function_id)
    module_name, _, attr = fn["Handler"].rpartition(".")
    module = importlib.import_module(module_name)
    code_uri = (template_path.parent / fn["CodeUri"]).resolve()
    if module.__file__ and code_uri not in Path(module.__file__).resolve().parents:
        raise RuntimeError(f"{module_name} was imported from {module.__file__}, not from CodeUri {code_uri}")
    return getattr(module, attr)


class _Discard(io.TextIOBase):
    def write(self, s: str) -> int:
        return len(s)


def quiet(handler: Any) -> Any:
    """The handler with its stdout (the EMF metric lines Lambda would send to CloudWatch)
    discarded: for benchmarks, whose own stdout is their result. The lines are still built
    and written, so their cost stays in the timings."""

    def call(event: Any, context: Any) -> Any:
        with contextlib.redirect_stdout(_Discard()):
            return handler(event, context)

    return call


def invoke(template_path: Path, function_id: str, event_path: Path) -> Any:
    handler = load_handler(template_path, function_id)
    event = json.loads(event_path.read_text(encoding="utf-8"))
    return handler(event, LambdaContext())
