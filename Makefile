# The commands a newcomer needs. Everything runs from the repository's own virtualenv.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
export PYTHONPATH := $(CURDIR)
export PYTHONWARNINGS := ignore::DeprecationWarning

.PHONY: run test lint asyncapi bench install services-up clean test-unit test-contract test-integration test-fault

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

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m shared.events.asyncapi --check

asyncapi: install
	$(BIN)/python -m shared.events.asyncapi

## make bench — benchmarks with same-run baselines (bench/README.md); not part of make test
bench: install services-up
	$(BIN)/python -m bench.relay.run
	$(BIN)/python -m bench.identity.run

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
