"""`make run` and the docker-free `sam local invoke`: DynamoDB Local, the template's tables,
a tenant key, then the API on uvicorn (or one in-process invocation).

`switchyard local run` keeps DynamoDB Local's data in ``.local/dynamodb/`` (keys, usage,
budgets, feedback survive a restart; ``--in-memory`` for a throwaway stack) and, while it
runs, describes itself in ``.local/stack.json`` (endpoint, region, table names), which
``switchyard keys create --local`` and ``switchyard budget set --local`` read. Benchmarks,
tests and ``local invoke`` use an in-memory DynamoDB Local and write no state.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from switchyard.errors import ConfigError
from switchyard_tools.devtools.dynamodb_local import REGION, DynamoDBLocal, create_tables, local_environment

FUNCTION = "ApiFunction"
STATE_DIR = Path(".local")  # under the repository (gitignored)
DATA_DIR = STATE_DIR / "dynamodb"  # DynamoDB Local's -dbPath for `local run`
STACK_FILE = STATE_DIR / "stack.json"  # the running stack, for the CLI's --local
DEV_KEY_FILE = "dev-api-key"  # in the data directory: the dev key lives as long as the data
DEV_TENANT = "local-dev"


@dataclass(frozen=True)
class LocalStack:
    """What `switchyard local run` started: where its DynamoDB Local answers and its tables."""

    endpoint: str
    region: str
    tables: dict[str, str]  # template logical id → local table name
    api_url: str
    pid: int
    data_dir: str | None  # None: in memory

    def table(self, logical_id: str) -> str:
        if logical_id not in self.tables:
            raise ConfigError(f"the local stack has no {logical_id}: restart it (make run)")
        return self.tables[logical_id]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    return True


def write_stack(root: Path, stack: LocalStack) -> Path:
    path = root / STACK_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(asdict(stack), indent=2) + "\n", encoding="utf-8")
    return path


def read_stack(root: Path) -> LocalStack:
    """The running local stack, or a ConfigError that says how to start one."""
    path = root / STACK_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        stack = LocalStack(**data)
    except FileNotFoundError:
        raise ConfigError(
            f"no local stack: {path} is missing. Start one with `make run` (or `switchyard local run`) "
            "in another terminal, from the repository root"
        ) from None
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{path} is not a local stack description ({exc}): restart `make run`") from exc
    if not _alive(stack.pid):
        raise ConfigError(
            f"the local stack in {path} is not running (pid {stack.pid} is gone): start `make run`"
        )
    return stack


def _remove_stack(root: Path) -> None:
    path = root / STACK_FILE
    try:
        if json.loads(path.read_text(encoding="utf-8")).get("pid") == os.getpid():
            path.unlink()
    except (OSError, ValueError):
        pass


def _saved_dev_key(data_dir: Path | None) -> str | None:
    if data_dir is None:
        return None
    try:
        return (data_dir / DEV_KEY_FILE).read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None


def _save_dev_key(data_dir: Path, key: str) -> None:
    path = data_dir / DEV_KEY_FILE
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_text(key + "\n", encoding="utf-8")


def ensure_key(client: Any, table: str, tenant_id: str, key: str) -> bool:
    """Register ``key`` for the tenant unless it is already there; True when it was added."""
    from switchyard.stores.dynamodb import KeyStore
    from switchyard.tenancy import create_key, hash_key

    store = KeyStore(table, client)
    if store.get(hash_key(key)) is not None:
        return False
    create_key(store, tenant_id, key=key)
    return True


def start_stack(
    root: Path, dev_key: str | None, data_dir: Path | None = None
) -> tuple[DynamoDBLocal, dict[str, str], str]:
    """Start DynamoDB Local (in memory, or kept in ``data_dir``), create the missing tables,
    export the function's environment, register the dev key if it is not there yet; returns
    DynamoDB Local, the tables (logical id → name) and the key.

    The key: ``dev_key``; else, with ``data_dir``, the one saved there by an earlier run; else
    a new one (saved in ``data_dir`` when there is one)."""
    from switchyard.settings import get_settings
    from switchyard.tenancy import new_key

    port = int(os.environ.get("SWITCHYARD_DDB_PORT", "0")) or None
    ddb = DynamoDBLocal(root, port=port, data_dir=data_dir).start()
    try:
        client = ddb.client()
        tables = create_tables(client, root / "template.yaml")
        os.environ.update(local_environment(root / "template.yaml", FUNCTION, tables, ddb.endpoint))
        get_settings.cache_clear()
        key = dev_key or _saved_dev_key(ddb.data_dir) or new_key()
        ensure_key(client, tables["KeysTable"], DEV_TENANT, key)
        if ddb.data_dir and not dev_key:
            _save_dev_key(ddb.data_dir, key)
    except BaseException:
        ddb.stop()
        raise
    return ddb, tables, key


def prepare(root: Path, dev_key: str | None, data_dir: Path | None = None) -> tuple[DynamoDBLocal, str]:
    """:func:`start_stack` without the table names (benchmarks, ``local invoke``)."""
    ddb, _, key = start_stack(root, dev_key, data_dir)
    return ddb, key


def run(root: Path, host: str, port: int, *, in_memory: bool = False, data_dir: Path | None = None) -> int:
    """The router on uvicorn over DynamoDB Local, its data kept in ``data_dir`` (default
    ``<root>/.local/dynamodb``) unless ``in_memory``; ``.local/stack.json`` while it runs."""
    import uvicorn

    from switchyard.settings import get_settings

    try:
        running: LocalStack | None = read_stack(root)
    except ConfigError:
        running = None
    if running is not None:
        raise ConfigError(
            f"a local stack is already running (pid {running.pid}, {running.api_url}): stop it first "
            f"(or delete {root / STACK_FILE} if that process is not Switchyard)"
        )
    kept = None if in_memory else (data_dir or root / DATA_DIR)
    ddb, tables, key = start_stack(root, get_settings().dev_api_key, data_dir=kept)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # run the cleanup below on `kill` too
    try:
        from switchyard_api.deps import get_container

        providers = sorted(get_container().service.providers)
        api_url = f"http://{host}:{port}/v1"
        data = str(ddb.data_dir) if ddb.data_dir else None
        write_stack(root, LocalStack(ddb.endpoint, REGION, tables, api_url, os.getpid(), data))
        print(f"Switchyard on {api_url}  (DynamoDB Local on {ddb.endpoint})")
        print(f"data: kept in {data} (--in-memory: a throwaway stack)" if data else "data: in memory")
        print(f"API key: {key}")
        print(
            f"providers configured: {', '.join(providers) or 'none (set OPENAI_API_KEY or OPENAI_BASE_URL); /v1/route works'}"
        )
        print(
            "more keys: switchyard keys create --local --tenant acme (budgets: switchyard budget set --local)"
        )
        print(
            f"try: curl -s {api_url}/route -H 'Authorization: Bearer {key}' "
            '-H \'content-type: application/json\' -d \'{"messages":[{"role":"user","content":"What are your business hours?"}]}\'',
            flush=True,
        )
        uvicorn.run("switchyard_api.app:app", host=host, port=port, log_level="warning")
    finally:
        _remove_stack(root)
        ddb.stop()
    return 0


def invoke_with_local_stack(root: Path, function_id: str, event: Path) -> Any:
    from switchyard_tools.devtools.invoke import invoke
    from switchyard_tools.devtools.keys import LOCAL_TEST_KEY

    ddb, _ = prepare(root, LOCAL_TEST_KEY)
    try:
        return invoke(root / "template.yaml", function_id, event)
    finally:
        ddb.stop()
