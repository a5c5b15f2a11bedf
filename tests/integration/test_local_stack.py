"""The local stack a newcomer runs: `make run` installs nothing once set up; DynamoDB Local
keeps its data in a directory across restarts (tables reused, the dev key registered once),
while the test suite's stays in memory; `switchyard keys create --local` / `budget set
--local` find the running stack's DynamoDB Local and tables, and a missing table or stack is
a one-line explanation, not a traceback. The last test runs the whole flow in subprocesses."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from switchyard.settings import get_settings
from switchyard.stores.dynamodb import KeyStore, UsageStore
from switchyard.tenancy import create_key, hash_key
from switchyard_tools.cli import main
from switchyard_tools.devtools import local
from switchyard_tools.devtools.dynamodb_local import DynamoDBLocal, create_tables, free_port
from tests_support import ROOT, TEMPLATE, provider_env_names

pytestmark = pytest.mark.integration


@pytest.fixture
def restore_environ() -> Iterator[None]:
    """start_stack exports the function's environment, as `local run` needs: undo it."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)
    get_settings.cache_clear()


# ---- make run


def test_make_run_reinstalls_only_when_the_dependencies_change(tmp_path: Path) -> None:
    """`make -n run` in a copy of the build files: with the setup stamps newer than
    pyproject.toml and package-lock.json it runs the router only; a changed pyproject.toml
    reinstalls the package, a changed lock reinstalls node_modules."""
    if not shutil.which("make"):
        pytest.skip("no make")
    now = time.time()
    for name in ("Makefile", "pyproject.toml", "package-lock.json"):
        shutil.copy(ROOT / name, tmp_path / name)
        os.utime(tmp_path / name, (now - 60, now - 60))
    (tmp_path / "venv" / "bin").mkdir(parents=True)
    (tmp_path / "node_modules").mkdir()
    for stamp in ("venv/bin/python", "venv/.installed", "node_modules/.installed"):
        (tmp_path / stamp).touch()
        os.utime(tmp_path / stamp, (now, now))

    def dry_run() -> str:
        out = subprocess.run(
            ["make", "-n", "run", "VENV=venv", "PYTHON=python3"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout

    commands = dry_run()
    assert "switchyard local run" in commands
    assert "pip install" not in commands and "npm ci" not in commands, commands
    future = now + 60
    os.utime(tmp_path / "pyproject.toml", (future, future))
    assert "pip install" in dry_run()
    os.utime(tmp_path / "package-lock.json", (future, future))
    assert "npm ci" in dry_run()


# ---- DynamoDB Local: kept or in memory


def test_the_suites_dynamodb_local_is_in_memory() -> None:
    assert "-inMemory" in DynamoDBLocal(ROOT).command()
    kept = DynamoDBLocal(ROOT, data_dir=Path("/tmp/x")).command()
    assert "-inMemory" not in kept and kept[kept.index("-dbPath") + 1] == "/tmp/x"


@pytest.mark.ddb
def test_a_kept_dynamodb_local_keeps_its_tables_and_keys(tmp_path: Path) -> None:
    data = tmp_path / "dynamodb"
    ddb = DynamoDBLocal(ROOT, data_dir=data).start()
    try:
        tables = create_tables(ddb.client(), TEMPLATE)
        created = {
            t: ddb.client().describe_table(TableName=t)["Table"]["CreationDateTime"] for t in tables.values()
        }
        key = create_key(KeyStore(tables["KeysTable"], ddb.client()), "acme")
        UsageStore(tables["UsageTable"], ddb.client()).put_budget("acme", {"monthly_usd": 50.0})
    finally:
        ddb.stop()

    again = DynamoDBLocal(ROOT, data_dir=data).start()
    try:
        assert create_tables(again.client(), TEMPLATE) == tables
        for name, when in created.items():  # reused, not recreated
            assert again.client().describe_table(TableName=name)["Table"]["CreationDateTime"] == when
        record = KeyStore(tables["KeysTable"], again.client()).get(hash_key(key))
        assert record is not None and record.tenant_id == "acme"
        budget = UsageStore(tables["UsageTable"], again.client()).get_budget("acme")
        assert budget is not None and budget["monthly_usd"] == 50.0
    finally:
        again.stop()


@pytest.mark.ddb
def test_the_dev_key_is_registered_once_and_kept_with_the_data(tmp_path: Path, restore_environ: None) -> None:
    data = tmp_path / "dynamodb"
    ddb, tables, key = local.start_stack(ROOT, None, data_dir=data)
    ddb.stop()
    assert (data / local.DEV_KEY_FILE).stat().st_mode & 0o777 == 0o600
    ddb, tables_again, key_again = local.start_stack(ROOT, None, data_dir=data)
    try:
        assert (key_again, tables_again) == (key, tables)
        record = KeyStore(tables["KeysTable"], ddb.client()).get(hash_key(key))
        assert record is not None and record.tenant_id == local.DEV_TENANT
        # a fixed key (SWITCHYARD_DEV_API_KEY) already there is not written again
        assert not local.ensure_key(ddb.client(), tables["KeysTable"], local.DEV_TENANT, key)
    finally:
        ddb.stop()


# ---- switchyard keys create / budget set --local


def _stack_file(root: Path, endpoint: str, tables: dict[str, str], pid: int) -> None:
    local.write_stack(
        root, local.LocalStack(endpoint, "us-east-1", tables, "http://127.0.0.1:1/v1", pid, None)
    )


def test_local_keys_and_budgets_go_to_the_running_stack(
    stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("SWITCHYARD_KEYS_TABLE", "SWITCHYARD_USAGE_TABLE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    _stack_file(tmp_path, stack.ddb.endpoint, stack.tables, os.getpid())
    monkeypatch.chdir(tmp_path)

    assert main(["keys", "create", "--local", "--tenant", "acme-local"]) == 0
    key = capsys.readouterr().out.strip()
    record = KeyStore(stack.tables["KeysTable"], stack.client).get(hash_key(key))
    assert record is not None and record.tenant_id == "acme-local"

    assert (
        main(["budget", "set", "--local", "--tenant", "acme-local", "--monthly", "12.5", "--hard-cap", "20"])
        == 0
    )
    budget = UsageStore(stack.tables["UsageTable"], stack.client).get_budget("acme-local")
    assert budget is not None and (budget["monthly_usd"], budget["hard_cap_usd"]) == (12.5, 20.0)


def test_no_running_stack_is_explained(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["keys", "create", "--local", "--tenant", "acme"]) == 2
    err = capsys.readouterr().err
    assert "make run" in err and ".local/stack.json" in err and "Traceback" not in err

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    _stack_file(tmp_path, "http://127.0.0.1:1", {"KeysTable": "k", "UsageTable": "u"}, gone.pid)
    assert main(["budget", "set", "--local", "--tenant", "acme", "--monthly", "1"]) == 2
    assert "not running" in capsys.readouterr().err


def test_a_missing_table_is_explained(api_env, capsys: pytest.CaptureFixture[str]) -> None:
    """The old trap: the settings' default table name on DynamoDB Local."""
    assert main(["keys", "create", "--tenant", "acme", "--table", "switchyard-keys"]) == 2
    err = capsys.readouterr().err
    assert "table 'switchyard-keys' does not exist" in err and "--local" in err and "KeysTableName" in err
    assert main(["budget", "set", "--tenant", "acme", "--monthly", "1", "--table", "nope"]) == 2
    assert "UsageTableName" in capsys.readouterr().err


def test_no_credentials_points_at_local(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Forgetting --local on a machine without AWS credentials."""
    import boto3

    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)  # no credentials cached by earlier tests
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    get_settings.cache_clear()
    try:
        assert main(["keys", "create", "--tenant", "acme"]) == 2
    finally:
        get_settings.cache_clear()
    err = capsys.readouterr().err
    assert "no AWS credentials" in err and "--local" in err


def test_an_unreachable_endpoint_is_explained(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _stack_file(tmp_path, f"http://127.0.0.1:{free_port()}", {"KeysTable": "k"}, os.getpid())
    monkeypatch.chdir(tmp_path)
    assert main(["keys", "create", "--local", "--tenant", "acme"]) == 2
    err = capsys.readouterr().err
    assert "cannot reach" in err and "make run" in err


def test_local_and_an_endpoint_exclude_each_other(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["keys", "create", "--tenant", "a", "--local", "--endpoint-url", "http://x"])
    assert "not allowed with" in capsys.readouterr().err


# ---- the whole flow, as a newcomer runs it


class Runner:
    """`switchyard local run` in a subprocess on a scratch root (template.yaml and
    node_modules linked), without provider or AWS settings from this process."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        drop = {*provider_env_names(), "SWITCHYARD_DEV_API_KEY", "SWITCHYARD_DDB_PORT"}
        self.env = {
            k: v for k, v in os.environ.items() if k not in drop and not k.startswith(("AWS_", "SWITCHYARD_"))
        }
        self.proc: subprocess.Popen[str] | None = None
        self.drain: threading.Thread | None = None

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "switchyard_tools.cli", *args],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    def start(self) -> str:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "switchyard_tools.cli", "local", "run", "--port", str(self.port)],
            cwd=self.root,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert self.proc.stdout is not None
        key = None
        for line in self.proc.stdout:
            if line.startswith("API key: "):
                key = line.removeprefix("API key: ").strip()
            if line.startswith("try: "):
                break
        assert key, "local run printed no key"
        self.drain = threading.Thread(target=self.proc.stdout.read, daemon=True)  # keep the pipe flowing
        self.drain.start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/health", timeout=1).status_code == 200:
                    return key
            except httpx.TransportError:
                time.sleep(0.2)
        raise AssertionError("the local API did not answer")

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.drain:
            self.drain.join(timeout=5)
        if self.proc.stdout:
            self.proc.stdout.close()
        self.proc = self.drain = None

    def models(self, key: str) -> int:
        url = f"http://127.0.0.1:{self.port}/v1/models"
        return httpx.get(url, headers={"authorization": f"Bearer {key}"}, timeout=10).status_code


@pytest.mark.ddb
def test_keys_and_budgets_survive_a_restart_of_local_run(tmp_path: Path) -> None:
    for name in ("template.yaml", "node_modules"):
        (tmp_path / name).symlink_to(ROOT / name)
    runner = Runner(tmp_path)
    try:
        dev_key = runner.start()
        stack = json.loads((tmp_path / local.STACK_FILE).read_text())
        assert stack["data_dir"] == str((tmp_path / local.DATA_DIR).resolve())
        made = runner.cli("keys", "create", "--local", "--tenant", "acme")
        assert made.returncode == 0, made.stderr
        key = made.stdout.strip()
        budget = runner.cli("budget", "set", "--local", "--tenant", "acme", "--monthly", "40")
        assert budget.returncode == 0, budget.stderr
        assert runner.models(key) == 200 and runner.models(dev_key) == 200
        again = runner.cli("local", "run", "--port", str(free_port()))
        assert again.returncode == 2 and "already running" in again.stderr
    finally:
        runner.stop()
    assert not (tmp_path / local.STACK_FILE).exists()
    stopped = runner.cli("keys", "create", "--local", "--tenant", "acme")
    assert stopped.returncode == 2 and "make run" in stopped.stderr

    try:
        assert runner.start() == dev_key
        assert runner.models(key) == 200
        usage = httpx.get(
            f"http://127.0.0.1:{runner.port}/v1/usage", headers={"authorization": f"Bearer {key}"}, timeout=10
        )
        assert usage.status_code == 200 and usage.json()["budget"]["monthly_usd"] == 40.0, usage.text
    finally:
        runner.stop()


def test_tenants_trust_untrust_and_list_on_the_local_stack(
    stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from switchyard.learning.rescore import TRUSTED
    from switchyard.stores.dynamodb import StateStore

    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    get_settings.cache_clear()
    _stack_file(tmp_path, stack.ddb.endpoint, stack.tables, os.getpid())
    monkeypatch.chdir(tmp_path)
    state = StateStore(stack.tables["MatrixTable"], stack.client)
    try:
        assert main(["tenants", "trust", "--local", "--tenant", "acme"]) == 0
        assert main(["tenants", "trust", "--local", "--tenant", "globex"]) == 0
        assert main(["tenants", "untrust", "--local", "--tenant", "acme"]) == 0
        capsys.readouterr()
        assert main(["tenants", "list", "--local"]) == 0
        assert json.loads(capsys.readouterr().out) == {"trusted_tenants": ["globex"]}
        assert (state.get(TRUSTED) or {})["tenants"] == ["globex"]  # what the rescore job reads
    finally:
        stack.client.delete_item(TableName=stack.tables["MatrixTable"], Key={"name": {"S": TRUSTED}})
