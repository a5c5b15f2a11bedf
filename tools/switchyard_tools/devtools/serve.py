"""The API served by uvicorn in a background thread on loopback (tests and benchmarks)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def serving(timeout: float = 15.0) -> Iterator[str]:
    """Yields the base URL (``http://127.0.0.1:PORT/v1``) of a fresh app; stops it on exit."""
    import uvicorn

    from switchyard_api.app import create_app
    from switchyard_tools.devtools.dynamodb_local import free_port

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    if not server.started:
        raise RuntimeError("uvicorn did not start")
    try:
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
