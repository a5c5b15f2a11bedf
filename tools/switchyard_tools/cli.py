"""The ``switchyard`` command: benchmarks, keys and local tooling.

Implementations are imported inside each command, so ``switchyard --help`` stays fast.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from switchyard.errors import ConfigError, InputError, StoreError, SwitchyardError

T = TypeVar("T")


def _bench_classify(args: argparse.Namespace) -> int:
    from switchyard_tools.bench import classify

    result = classify.run(Path(args.file), batch=args.batch)
    print(json.dumps(result) if args.json else classify.render(result))
    return 0


def _bench_model(args: argparse.Namespace) -> int:
    from switchyard_tools.bench import model

    result = model.run(repeats=args.repeats)
    print(json.dumps(result) if args.json else model.render(result))
    return 0


def _bench_overhead(args: argparse.Namespace) -> int:
    from switchyard_tools.bench import overhead

    result = overhead.run(Path(args.root), n=args.n)
    print(json.dumps(result) if args.json else overhead.render(result))
    return 0


def _bench_cache(args: argparse.Namespace) -> int:
    from switchyard_tools.bench import cache

    result = cache.run(Path(args.file), threshold=args.threshold)
    print(json.dumps(result) if args.json else cache.render(result))
    return 0


def _bench_failover(args: argparse.Namespace) -> int:
    from switchyard_tools.bench import failover

    result = failover.run(Path(args.root), n=args.n, fail_share=args.fail_share)
    print(json.dumps(result) if args.json else failover.render(result))
    return 0


def _bench_load(args: argparse.Namespace) -> int:
    from switchyard_tools.bench import load

    result = load.run(
        Path(args.root),
        clients=args.clients,
        requests=args.requests,
        repeat_share=args.repeat_share,
        stream_share=args.stream_share,
        workers=args.workers,
    )
    print(json.dumps(result) if args.json else load.render(result))
    return 0


def _bench_decisions(args: argparse.Namespace) -> int:
    from switchyard_tools.bench import decisions

    result = decisions.run(Path(args.file), mode=args.mode)
    print(json.dumps(result) if args.json else decisions.render(result))
    return 0


def _bench_stream(args: argparse.Namespace) -> int:
    from switchyard_tools.bench import stream

    result = stream.run(Path(args.root), n=args.n, gap=args.gap)
    print(json.dumps(result) if args.json else stream.render(result))
    return 0


def _bench_routing(args: argparse.Namespace) -> int:
    from switchyard_tools.bench import routing

    if args.strong and args.weak:
        plot = Path(args.plot) if args.plot else None
        result = routing.run(Path(args.file), strong=args.strong, weak=args.weak, plot=plot)
        print(json.dumps(result) if args.json else routing.render(result))
        return 0
    if args.strong or args.weak:
        raise InputError("two-model mode needs both --strong and --weak")
    result = routing.run_pool(Path(args.file), Path(args.train) if args.train else None, args.holdout_share)
    print(json.dumps(result) if args.json else routing.render_pool(result))
    return 0


def _prior_fit(args: argparse.Namespace) -> int:
    from switchyard_tools import prior

    command = " ".join(
        ["switchyard prior fit", *args.files, "--out", args.out, "--min-n", f"{args.min_n:g}"]
        + ["--holdout-share", f"{args.holdout_share:g}"]
        + (["--uncosted-tier", str(args.uncosted_tier)] if args.uncosted_tier else [])
        + [f"--exclude-source {x}" for x in args.exclude_source or []]
    )
    result = prior.run(
        [Path(f) for f in args.files],
        Path(args.out),
        command,
        min_n=args.min_n,
        holdout_share=args.holdout_share,
        uncosted_tier=args.uncosted_tier,
        exclude_sources=args.exclude_source or [],
    )
    print(json.dumps(result) if args.json else prior.render(result))
    return 0


def _report(args: argparse.Namespace) -> int:
    from switchyard_tools import report

    result = report.build(Path(args.file), Path(args.out), args.monthly_requests, args.mode)
    print(
        f"wrote {Path(args.out) / 'report.md'}: {result['n']} prompts, projected saving {100 * result['savings_share']:.1f}%"
    )
    return 0


class _Table:
    """The DynamoDB table a keys/budget command writes: the local stack's (``--local``), or
    ``--table``/the settings' name at ``--endpoint-url``/AWS."""

    def __init__(self, args: argparse.Namespace, logical_id: str, default_name: str) -> None:
        self.output = f"{logical_id}Name"  # the stack output that names it
        self.local = bool(args.local)
        if args.local:
            from switchyard_tools.devtools import local
            from switchyard_tools.devtools.dynamodb_local import local_client

            stack = local.read_stack(Path("."))
            self.name = args.table or stack.table(logical_id)
            self.client: Any = local_client(stack.endpoint)
            self.where = f"the local stack's DynamoDB Local ({stack.endpoint})"
            return
        import boto3

        from switchyard.settings import get_settings

        s = get_settings()
        endpoint = args.endpoint_url or s.aws_endpoint_url
        self.name = args.table or default_name
        self.client = boto3.client("dynamodb", endpoint_url=endpoint, region_name=s.aws_region)
        self.where = endpoint or f"DynamoDB in {s.aws_region}"

    def call(self, fn: Callable[[], T]) -> T:
        """``fn()``, with a missing table or an unreachable endpoint explained (no traceback)."""
        from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError

        try:
            return fn()
        except StoreError as exc:
            cause = exc.__cause__
            if (
                isinstance(cause, ClientError)
                and cause.response["Error"]["Code"] == "ResourceNotFoundException"
            ):
                hint = (
                    "restart `make run` (it creates the missing tables)"
                    if self.local
                    else "for the local stack (`make run`), add --local; "
                    f"for a deployed stack, pass --table <its {self.output} output>"
                )
                raise ConfigError(f"table {self.name!r} does not exist in {self.where}: {hint}") from exc
            if isinstance(cause, EndpointConnectionError):
                raise ConfigError(
                    f"cannot reach {self.where}: is the stack running (`make run` for the local one)?"
                ) from exc
            if isinstance(cause, NoCredentialsError):
                raise ConfigError(
                    f"no AWS credentials for {self.where}. For the local stack (`make run`), add --local; "
                    "for a deployed stack, configure credentials (AWS_PROFILE, aws configure)"
                ) from exc
            raise


def _keys_create(args: argparse.Namespace) -> int:
    from switchyard.settings import get_settings
    from switchyard.stores.dynamodb import KeyStore
    from switchyard.tenancy import create_key

    table = _Table(args, "KeysTable", get_settings().keys_table)
    store = KeyStore(table.name, table.client)
    key = table.call(lambda: create_key(store, args.tenant, args.allow_model or None))
    print(key)
    print("(shown once: only its hash is stored)", file=sys.stderr)
    return 0


def _budget_set(args: argparse.Namespace) -> int:
    from switchyard.settings import get_settings
    from switchyard.stores.dynamodb import UsageStore

    table = _Table(args, "UsageTable", get_settings().usage_table)
    values = {
        "monthly_usd": args.monthly,
        "hard_cap_usd": args.hard_cap,
        "soft_start": args.soft_start,
        "exponent": args.exponent,
    }
    store = UsageStore(table.name, table.client)
    table.call(lambda: store.put_budget(args.tenant, values))
    print(json.dumps({"tenant_id": args.tenant, **{k: v for k, v in values.items() if v is not None}}))
    return 0


def _tenants(args: argparse.Namespace) -> int:
    """Mark a tenant as trusted (its feedback trains the shared matrix) or not, or list them."""
    from switchyard.learning.rescore import TRUSTED
    from switchyard.settings import get_settings
    from switchyard.stores.dynamodb import StateStore

    table = _Table(args, "MatrixTable", get_settings().matrix_table)
    state = StateStore(table.name, table.client)
    current = {str(t) for t in (table.call(lambda: state.get(TRUSTED)) or {}).get("tenants", [])}
    if args.tenants == "trust":
        current.add(args.tenant)
    elif args.tenants == "untrust":
        current.discard(args.tenant)
    if args.tenants != "list":
        table.call(lambda: state.put(TRUSTED, {"tenants": sorted(current)}))
    print(json.dumps({"trusted_tenants": sorted(current)}))
    return 0


def _local_run(args: argparse.Namespace) -> int:
    from switchyard_tools.devtools import local

    data_dir = Path(args.data_dir) if args.data_dir else None
    return local.run(
        Path(args.root), host=args.host, port=args.port, in_memory=args.in_memory, data_dir=data_dir
    )


def _local_invoke(args: argparse.Namespace) -> int:
    from switchyard_tools.devtools import local

    out = local.invoke_with_local_stack(Path(args.root), args.function, Path(args.event))
    print(json.dumps(out, indent=2))
    return 0


def _target_arguments(p: argparse.ArgumentParser) -> None:
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--local",
        action="store_true",
        help="the stack `make run` is running (its DynamoDB Local and tables, from ./.local/stack.json)",
    )
    where.add_argument("--endpoint-url", help="DynamoDB endpoint (default: AWS_ENDPOINT_URL, else AWS)")


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="switchyard", description="Switchyard LLM router tools")
    sub = ap.add_subparsers(dest="command", required=True)

    bench = sub.add_parser("bench", help="benchmarks").add_subparsers(dest="bench", required=True)
    p = bench.add_parser(
        "classify", help="task-type accuracy and complexity ranking on a task_type JSONL file"
    )
    p.add_argument("file")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--batch", type=int, default=64)
    p.set_defaults(func=_bench_classify)

    p = bench.add_parser("model", help="model load time, classify latency by prompt length, artifact sizes")
    p.add_argument("--json", action="store_true")
    p.add_argument("--repeats", type=int, default=300)
    p.set_defaults(func=_bench_model)
    p = bench.add_parser("overhead", help="router overhead through the app on DynamoDB Local")
    p.add_argument("--json", action="store_true")
    p.add_argument("--n", type=int, default=300, help="requests per prompt length")
    p.add_argument("--root", default=".")
    p.set_defaults(func=_bench_overhead)

    p = bench.add_parser("cache", help="cache precision/recall on a paraphrase JSONL file")
    p.add_argument("file")
    p.add_argument("--json", action="store_true")
    p.add_argument("--threshold", type=float, help="semantic level cosine threshold (default 0.90)")
    p.set_defaults(func=_bench_cache)

    p = bench.add_parser("failover", help="success rate and failover latency with failing first choices")
    p.add_argument("--json", action="store_true")
    p.add_argument("--n", type=int, default=1000)
    p.add_argument("--fail-share", type=float, default=0.2)
    p.add_argument("--root", default=".")
    p.set_defaults(func=_bench_failover)

    p = bench.add_parser("load", help="concurrent chat completions against the app under uvicorn")
    p.add_argument("--json", action="store_true")
    p.add_argument("--clients", type=int, default=50, help="concurrent clients")
    p.add_argument("--requests", type=int, default=2000, help="total requests")
    p.add_argument("--repeat-share", type=float, default=0.2, help="share of repeated prompts (cache)")
    p.add_argument("--stream-share", type=float, default=0.0, help="share of streamed requests")
    p.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    p.add_argument("--root", default=".")
    p.set_defaults(func=_bench_load)

    p = bench.add_parser("decisions", help="routing of everyday prompts against written tier bands")
    p.add_argument("file", nargs="?", default="benchmarks/decisions.jsonl")
    p.add_argument("--mode", default="auto", choices=["auto", "cost", "speed", "quality"])
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_bench_decisions)

    p = bench.add_parser(
        "stream", help="streaming through the deployed code path (run.sh, as Lambda runs it)"
    )
    p.add_argument("--json", action="store_true")
    p.add_argument("--n", type=int, default=20, help="streamed requests")
    p.add_argument("--gap", type=float, default=0.1, help="seconds between the upstream's chunks")
    p.add_argument("--root", default=".")
    p.set_defaults(func=_bench_stream)

    p = bench.add_parser(
        "routing", help="two-model routing benchmark (RouteLLM metrics) on a routing JSONL file"
    )
    p.add_argument("file")
    p.add_argument("--strong", help="two-model mode: the strong model's key in 'scores'")
    p.add_argument("--weak", help="two-model mode: the weak model's key in 'scores'")
    p.add_argument(
        "--train", help="pool mode: fit the confidence matrix from this file (FILE itself: a 70/30 split)"
    )
    p.add_argument(
        "--holdout-share", type=float, default=0.3, help="pool mode with --train FILE: share held out"
    )
    p.add_argument("--plot", help="two-model mode: write the cost/quality curve to this PNG")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_bench_routing)

    prior = sub.add_parser("prior", help="the confidence matrix's prior").add_subparsers(
        dest="prior", required=True
    )
    p = prior.add_parser(
        "fit", help="fit the prior (tier x task type) from routing JSONL files (docs/ROUTING.md, Prior)"
    )
    p.add_argument("files", nargs="+", help="routing JSONL files; tiers by cost from rows with costs_usd")
    p.add_argument("--out", required=True, help="where to write the prior JSON")
    p.add_argument("--min-n", type=float, default=30.0, help="prompts a cell needs to be derived (30)")
    p.add_argument(
        "--holdout-share",
        type=float,
        default=0.3,
        help="leave out the rows `bench routing --train FILE` tests on (same id-hash split; 0 = all)",
    )
    p.add_argument(
        "--uncosted-tier", type=int, choices=[1, 2, 3], help="tier for models without costs (default: skip)"
    )
    p.add_argument("--exclude-source", action="append", help="drop rows whose source starts with this")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_prior_fit)

    p = sub.add_parser("report", help="route your own prompts (no provider calls) and write a savings report")
    p.add_argument(
        "file",
        help="JSONL ({messages} or {prompt} rows, or a request-log export) or CSV with a prompt column",
    )
    p.add_argument("--out", default="switchyard-report", help="output folder")
    p.add_argument("--monthly-requests", type=int, default=100_000)
    p.add_argument("--mode", default="auto", choices=["auto", "cost", "speed", "quality"])
    p.set_defaults(func=_report)

    keys = sub.add_parser("keys", help="API keys").add_subparsers(dest="keys", required=True)
    p = keys.add_parser("create", help="create a key for a tenant; prints it once")
    p.add_argument("--tenant", required=True)
    p.add_argument(
        "--allow-model", action="append", help="restrict the key to these catalog models (repeatable)"
    )
    p.add_argument("--table", help="keys table (default: SWITCHYARD_KEYS_TABLE, or the local stack's)")
    _target_arguments(p)
    p.set_defaults(func=_keys_create)

    budget = sub.add_parser("budget", help="tenant budgets").add_subparsers(dest="budget", required=True)
    p = budget.add_parser("set", help="set a tenant's monthly budget and hard cap (USD), replacing the old")
    p.add_argument("--tenant", required=True)
    p.add_argument("--monthly", type=float, help="soft budget: routing shifts toward cost mode near it")
    p.add_argument("--hard-cap", type=float, help="requests are refused (429) at this month-to-date spend")
    p.add_argument("--soft-start", type=float, help="share of the budget where the shift starts (0.7)")
    p.add_argument("--exponent", type=float, help="shape of the shift (1 = linear)")
    p.add_argument("--table", help="usage table (default: SWITCHYARD_USAGE_TABLE, or the local stack's)")
    _target_arguments(p)
    p.set_defaults(func=_budget_set)

    tenants = sub.add_parser(
        "tenants", help="which tenants' feedback trains the shared confidence matrix (docs/ROUTING.md)"
    ).add_subparsers(dest="tenants", required=True)
    for name, text in (
        ("trust", "the tenant's feedback trains the shared matrix (every tenant's routing)"),
        ("untrust", "the tenant's feedback trains only its own routing (the default)"),
        ("list", "the trusted tenants"),
    ):
        p = tenants.add_parser(name, help=text)
        if name != "list":
            p.add_argument("--tenant", required=True)
        p.add_argument(
            "--table", help="matrix table (default: SWITCHYARD_MATRIX_TABLE, or the local stack's)"
        )
        _target_arguments(p)
        p.set_defaults(func=_tenants)

    local = sub.add_parser("local", help="run locally on DynamoDB Local").add_subparsers(
        dest="local", required=True
    )
    p = local.add_parser("run", help="DynamoDB Local + tables from template.yaml + the API on uvicorn")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=int(os.environ.get("SWITCHYARD_PORT", "8080")))
    p.add_argument("--root", default=".", help="the repository (template.yaml, node_modules)")
    p.add_argument(
        "--in-memory",
        action="store_true",
        help="keep nothing: DynamoDB Local in memory (default: kept in --data-dir between runs)",
    )
    p.add_argument("--data-dir", help="where DynamoDB Local keeps its data (default: <root>/.local/dynamodb)")
    p.set_defaults(func=_local_run)
    p = local.add_parser("invoke", help="invoke a template function in-process with an event file")
    p.add_argument("function", help="logical id in template.yaml, e.g. ApiFunction")
    p.add_argument("event", help="event JSON file, e.g. events/route-200.json")
    p.add_argument("--root", default=".")
    p.set_defaults(func=_local_invoke)
    return ap


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except SwitchyardError as exc:
        print(f"switchyard: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
