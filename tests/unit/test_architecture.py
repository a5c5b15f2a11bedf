"""The shape of the code: no import cycles among first-party modules, the direction of
imports between the core, the functions and the tools, and a Lambda layout (the layer's
first-party package and each function's code, laid out by their own Makefile targets) in
which every module imports with only the layer's runtime dependencies."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import grimp
import pytest

from tests_support import ROOT

FIRST_PARTY = ("switchyard", "switchyard_api", "switchyard_rescore", "switchyard_tools")
RUNTIME = ("switchyard", "switchyard_api", "switchyard_rescore")  # what Lambda runs
LAMBDA_RUNTIME_PROVIDES = ("boto3",)  # the python3.12 runtime ships boto3 and botocore


def _graph() -> grimp.ImportGraph:
    # grimp reads every import statement, those inside functions included
    return grimp.build_graph(*FIRST_PARTY, include_external_packages=False)


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    adj = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in sorted(graph.modules)}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    for root in adj:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            if i < len(adj[node]):
                work.append((node, i + 1))
                nxt = adj[node][i]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if low[node] == index[node]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == node:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return out


def test_cycle_finder_finds_a_cycle() -> None:
    class Fake:
        def __init__(self) -> None:
            self.edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
            self.modules = set(self.edges)

        def find_modules_directly_imported_by(self, m: str) -> set[str]:
            return self.edges[m]

    assert _cycles(Fake()) == [["a", "b", "c"]]  # type: ignore[arg-type]


def test_no_import_cycles_among_first_party_modules() -> None:
    assert _cycles(_graph()) == []


@pytest.mark.parametrize(
    ("importer", "forbidden"),
    [
        ("switchyard", ("switchyard_tools", "switchyard_api", "switchyard_rescore")),
        ("switchyard_api", ("switchyard_tools", "switchyard_rescore")),
        ("switchyard_rescore", ("switchyard_tools", "switchyard_api")),
    ],
)
def test_import_direction(importer: str, forbidden: tuple[str, ...]) -> None:
    """The core imports neither the tools nor a function package; a function imports the core only."""
    graph = _graph()
    bad = [
        (m, sorted(x for x in graph.find_modules_directly_imported_by(m) if x.split(".")[0] in forbidden))
        for m in sorted(graph.modules)
        if m.split(".")[0] == importer
    ]
    assert [b for b in bad if b[1]] == []


def _dist_closure(names: list[str]) -> set[str]:
    """Distributions reachable from ``names`` through their (non-extra) requirements."""
    seen: set[str] = set()
    todo = [n.lower().replace("_", "-") for n in names]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        for req in requires:
            if "extra ==" in req:
                continue
            todo.append(re.split(r"[\s;<>=!~\[(]", req, maxsplit=1)[0].lower().replace("_", "-"))
    return seen


def _layer_requirements() -> tuple[list[str], list[str]]:
    """The layer's requirements.txt, and what its Makefile installs with --no-deps."""
    layer = ROOT / "layers" / "core"
    names = [
        re.split(r"[\s<>=!~\[;]", line, maxsplit=1)[0]
        for line in (layer / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    no_deps = re.findall(r'--no-deps "([A-Za-z0-9_.-]+)', (layer / "Makefile").read_text())
    return names, no_deps


def _allowed_top_level() -> list[str]:
    with_deps, no_deps = _layer_requirements()
    dists = _dist_closure(with_deps + list(LAMBDA_RUNTIME_PROVIDES))
    dists |= {n.lower().replace("_", "-") for n in no_deps}
    tops = {
        top
        for top, owners in metadata.packages_distributions().items()
        if any(o.lower().replace("_", "-") in dists for o in owners)
    }
    return sorted(tops - set(FIRST_PARTY))


_IMPORT_ALL = r"""
import importlib, importlib.abc, json, os, pkgutil, sys
layout, allowed, first_party = sys.argv[1].split(os.pathsep), set(json.loads(sys.argv[2])), json.loads(sys.argv[3])

class OnlyTheLayer(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        top = name.split(".")[0]
        if top in sys.stdlib_module_names or top in allowed or top.startswith("_"):
            return None
        if top in first_party and path is None and "." not in name:
            from importlib.machinery import PathFinder
            return PathFinder.find_spec(name, layout)  # from the layout, never the checkout
        if top in first_party:
            return None
        raise ModuleNotFoundError(f"{name} is not in the Lambda layout (imported by a runtime module)")

sys.meta_path.insert(0, OnlyTheLayer())
modules, errors = [], {}
for top in first_party:
    try:
        pkg = importlib.import_module(top)
    except Exception as exc:
        errors[top] = f"{type(exc).__name__}: {exc}"
        continue
    for info in pkgutil.walk_packages(pkg.__path__, top + "."):
        try:
            mod = importlib.import_module(info.name)
            if not any(os.path.abspath(mod.__file__).startswith(os.path.abspath(r)) for r in layout):
                errors[info.name] = f"imported from {mod.__file__}, outside the layout"
            modules.append(info.name)
        except Exception as exc:
            errors[info.name] = f"{type(exc).__name__}: {exc}"
print(json.dumps({"modules": modules, "errors": errors, "python": list(sys.version_info[:2])}))
"""


def test_every_module_of_the_lambda_layout_imports(tmp_path: Path) -> None:
    """The layer's first-party package and the functions' code, laid out by the same Makefile
    targets ``sam build`` runs, import under this Python with only the layer's runtime
    dependencies (and boto3, which the Lambda runtime provides): no tool, no dev package."""
    layer, api, rescore = tmp_path / "layer", tmp_path / "api", tmp_path / "rescore"
    for target, directory, out in (
        ("core-package", "layers/core", layer),
        ("build-ApiFunction", "functions/api", api),
        ("build-RescoreFunction", "functions/rescore", rescore),
    ):
        out.mkdir()
        subprocess.run(
            ["make", "--no-print-directory", "-C", str(ROOT / directory), target, f"ARTIFACTS_DIR={out}"],
            check=True,
            capture_output=True,
        )
    layout = [str(layer / "python"), str(api), str(rescore)]
    assert not (layer / "python" / "switchyard_tools").exists()
    env = {**os.environ, "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1", "PYTHONPATH": ""}
    env.pop("SWITCHYARD_PROVIDER_SECRET_ARN", None)
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            _IMPORT_ALL,
            os.pathsep.join(layout),
            json.dumps(_allowed_top_level()),
            json.dumps(RUNTIME),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["errors"] == {}
    assert {"switchyard.service.router", "switchyard_api.handler", "switchyard_rescore.handler"} <= set(
        result["modules"]
    )
    assert len(result["modules"]) > 50


def test_the_layout_check_catches_a_tool_import(tmp_path: Path) -> None:
    """The same check fails for a runtime module that imports a tool."""
    pkg = tmp_path / "switchyard"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "bad.py").write_text("import switchyard_tools.cli\n")
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            _IMPORT_ALL,
            str(tmp_path),
            json.dumps(_allowed_top_level()),
            json.dumps(["switchyard"]),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    errors = json.loads(proc.stdout.strip().splitlines()[-1])["errors"]
    assert "switchyard.bad" in errors and "not in the Lambda layout" in errors["switchyard.bad"]
