"""`make run` and the docker-free `sam local invoke`: DynamoDB Local, the template's tables,
a tenant key, then the API on uvicorn (or one in-process invocation)."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Any

from switchyard_tools.devtools.dynamodb_local import DynamoDBLocal, create_tables, local_environment

FUNCTION = "ApiFunction"


def prepare(root: Path, dev_key: str | None) -> tuple[DynamoDBLocal, str]:
    """Start DynamoDB Local, create tables, export the function's environment, register a key."""
    from switchyard.settings import get_settings
    from switchyard.stores.dynamodb import KeyStore
    from switchyard.tenancy import create_key, new_key

    ddb = DynamoDBLocal(root, port=int(os.environ.get("SWITCHYARD_DDB_PORT", "0")) or None).start()
    tables = create_tables(ddb.client(), root / "template.yaml")
    os.environ.update(local_environment(root / "template.yaml", FUNCTION, tables, ddb.endpoint))
    get_settings.cache_clear()
    key = dev_key or new_key()
    create_key(KeyStore(tables["KeysTable"], ddb.client()), "local-dev", key=key)
    return ddb, key


def run(root: Path, host: str, port: int) -> int:
    import uvicorn

    from switchyard.settings import get_settings

    ddb, key = prepare(root, get_settings().dev_api_key)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # run the cleanup below on `kill` too
    try:
        from switchyard_api.deps import get_container

        providers = sorted(get_container().service.providers)
        print(f"Switchyard on http://{host}:{port}/v1  (DynamoDB Local on {ddb.endpoint})")
        print(f"API key: {key}")
        print(
            f"providers configured: {', '.join(providers) or 'none (set OPENAI_API_KEY or OPENAI_BASE_URL); /v1/route works'}"
        )
        print(
            f"try: curl -s http://{host}:{port}/v1/route -H 'Authorization: Bearer {key}' "
            '-H \'content-type: application/json\' -d \'{"messages":[{"role":"user","content":"What are your business hours?"}]}\'',
            flush=True,
        )
        uvicorn.run("switchyard_api.app:app", host=host, port=port, log_level="warning")
    finally:
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
