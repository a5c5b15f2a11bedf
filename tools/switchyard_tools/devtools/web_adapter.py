"""Run the API function the way the streaming shape's Lambda does, without Lambda: the
handler the template names for ``ApiShape=streaming`` (``run.sh``, which the Lambda Web
Adapter starts in the function's init), with the function's environment from template.yaml
for that shape, then the adapter's readiness check on its path. The caller plays the
adapter's part and sends the requests to the returned base URL."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from switchyard_tools.devtools import template
from switchyard_tools.devtools.dynamodb_local import free_port, local_environment


@dataclass
class AdaptedFunction:
    base_url: str  # http://127.0.0.1:<port> (the app's root; the API is under /v1)
    log: Path  # the process's stdout and stderr: its JSON logs and EMF metric lines
    ready_ms: float  # start of the process → the readiness check passed (the init phase)


@contextmanager
def serving_like_lambda(
    root: Path,
    tables: Mapping[str, str],
    endpoint: str,
    env: Mapping[str, str],
    log: Path,
    drop_env: frozenset[str] = frozenset(),
    timeout: float = 60.0,
) -> Iterator[AdaptedFunction]:
    """``env`` is added over the template's (provider URLs, scaled timeouts); ``drop_env``
    names variables of this process not to pass on (e.g. provider keys of the caller)."""
    root = root.resolve()
    tpl = root / "template.yaml"
    fn = template.function(template.load(tpl), "ApiFunction", "streaming")
    port = free_port()
    full = {k: v for k, v in os.environ.items() if k not in drop_env and not k.startswith("SWITCHYARD_")}
    full.update(local_environment(tpl, "ApiFunction", dict(tables), endpoint, shape="streaming"))
    full.update(
        {
            "AWS_LWA_PORT": str(port),  # the adapter's port, moved off 8080
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            **env,
        }
    )
    started = time.perf_counter()
    with log.open("w") as out:
        proc = subprocess.Popen(
            [str(root / fn["CodeUri"] / fn["Handler"])],
            cwd=root / fn["CodeUri"],
            env=full,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:  # the adapter's readiness check, on the template's path
            try:
                if httpx.get(base + full["AWS_LWA_READINESS_CHECK_PATH"], timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None:
                raise RuntimeError(f"the function exited during init: {log.read_text()[-2000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError("the function did not become ready")
            time.sleep(0.02)
        yield AdaptedFunction(base, log, (time.perf_counter() - started) * 1000)
    finally:
        stop(proc)


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL if it has not exited within 10 s."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
