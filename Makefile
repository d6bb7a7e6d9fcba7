# The commands a newcomer needs. Everything runs from the repository's own virtualenv.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
export PYTHONPATH := $(CURDIR)
export PYTHONWARNINGS := ignore::DeprecationWarning

.PHONY: run test lint asyncapi bench install services-up clean test-unit test-contract test-integration test-fault test-e2e \
        test-browser screens k8s-validate

$(BIN)/python: requirements.txt requirements-dev.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $(BIN)/python

install: $(BIN)/python

services-up:
	bash tools/services_up.sh

## make run — the whole platform, development mode, gateway on http://127.0.0.1:8000
run: install services-up
	$(BIN)/python tools/run_platform.py

## make test — every test: unit, contract, integration and fault tests on real RabbitMQ + PostgreSQL
test: install services-up lint
	$(BIN)/pytest

test-unit: install
	$(BIN)/pytest tests/unit tests/contract
test-integration: install services-up
	$(BIN)/pytest tests/integration
test-fault: install services-up
	$(BIN)/pytest tests/fault
## the whole lifecycle through the gateway, every service its own process, on PostgreSQL (issue #8)
test-e2e: install services-up
	$(BIN)/pytest tests/e2e
## the portal in headless Chromium (Debian's chromium + chromium-driver; part of make test)
test-browser: install services-up
	$(BIN)/pytest tests/browser

## make screens — screenshots of every portal page into docs/screens/ (runs the browser tests)
screens: install services-up
	$(BIN)/python tools/screens.py

lint: install k8s-validate
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m shared.events.asyncapi --check

## make k8s-validate — render deploy/k8s (base, dev, prod) with `kubectl kustomize` and check every document
## offline: Kubernetes' schemas, the custom resources' required fields, ports and references
k8s-validate: install
	$(BIN)/python deploy/k8s/generate.py --check
	$(BIN)/python -m tools.ops.k8s validate

asyncapi: install
	$(BIN)/python -m shared.events.asyncapi

## make bench — benchmarks with same-run baselines (bench/README.md); not part of make test
bench: install services-up
	$(BIN)/python -m bench.relay.run
	$(BIN)/python -m bench.identity.run
	$(BIN)/python -m bench.lifecycle.run

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
