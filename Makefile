# Reintegrasi: `make run` serves the API on the embedded database; `make test` runs the suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
HOST ?= 127.0.0.1
PORT ?= 8000
export REINTEGRASI_DATABASE_URL ?= sqlite+aiosqlite:///./reintegrasi.db

.PHONY: run demo test test-reliability lint bench install install-dev keys clean

$(BIN)/uv:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# Installs exactly what uv.lock pins (--frozen: the lock is never rewritten here).
install: $(BIN)/uv
	UV_PROJECT_ENVIRONMENT=$(VENV) $(BIN)/uv sync --frozen --no-dev --inexact --quiet

install-dev: $(BIN)/uv
	UV_PROJECT_ENVIRONMENT=$(VENV) $(BIN)/uv sync --frozen --inexact --quiet

# Random local keys, made once, so that even a laptop install never encrypts with a known key.
.env:
	@umask 077; $(PYTHON) -c "import base64, os, secrets; k=lambda: base64.urlsafe_b64encode(os.urandom(32)).decode(); \
	print(f'REINTEGRASI_SECRET_KEY={secrets.token_urlsafe(32)}\nREINTEGRASI_DATA_KEY={k()}\nREINTEGRASI_BLIND_INDEX_KEY={k()}')" > .env
	@echo "wrote .env with random keys (keep it; NIKs encrypted with them cannot be read without it)"

keys: .env

# The API process delivers webhooks too (REINTEGRASI_WEBHOOK_WORKER=false: run `python -m app worker`).
run: install .env
	$(BIN)/alembic upgrade head
	$(BIN)/python -m app bootstrap
	$(if $(filter 1 yes true,$(DEMO)),$(BIN)/python -m app demo)
	REINTEGRASI_WEBHOOK_WORKER=$${REINTEGRASI_WEBHOOK_WORKER:-true} exec $(BIN)/uvicorn app.main:create_app --factory --host $(HOST) --port $(PORT) --no-access-log --no-proxy-headers

# The synthetic Karang Dempel scenario (145 persons) in the configured database; `make run DEMO=1`
# loads it and serves. A second run changes nothing.
demo: install .env
	$(BIN)/alembic upgrade head
	$(BIN)/python -m app bootstrap
	$(BIN)/python -m app demo

# One pytest worker per core (pytest-xdist, work stealing: a worker that is done takes tests from
# the other), each with its own SQLite and PostgreSQL databases.
# TEST_WORKERS=0 runs in this process; TEST_ARGS narrows the run (e.g. TEST_ARGS=tests/persons).
TEST_WORKERS ?= auto
test: install-dev
	$(BIN)/pytest -q -n $(TEST_WORKERS) --dist worksteal $(TEST_ARGS)

test-reliability: install-dev
	$(BIN)/pytest -q -s -m reliability tests/reliability

lint: install-dev
	$(BIN)/ruff check app tests migrations bench
	$(BIN)/ruff format --check app tests migrations bench

bench: install-dev
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache reintegrasi.db*
