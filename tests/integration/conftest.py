"""The app served by uvicorn on loopback, for the SDK tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn

from switchyard.devtools.dynamodb_local import free_port
from switchyard.devtools.fake_upstream import FakeUpstream
from switchyard_api.app import create_app


@pytest.fixture
def served(provider_env: FakeUpstream) -> Iterator[str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    yield f"http://127.0.0.1:{port}/v1"
    server.should_exit = True
    thread.join(timeout=10)
