# Pingan — the two commands a new user needs are `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
NODE_STAMP := node_modules/.package-lock.json
# Extra pytest arguments, e.g. `make test PYTEST_ARGS="-k locate"`.
PYTEST_ARGS ?=

.PHONY: demo test install static lint format check-browser clean

## demo: install everything, build static files, load the demo county and serve it on :8000
demo: static
	$(BIN)/pingan demo

## test: install what the tests need and run the suite on SQLite, then on PostgreSQL if DATABASE_URL points at one
test: static check-browser
	@echo "== tests on SQLite =="
	env -u DATABASE_URL $(BIN)/pytest $(PYTEST_ARGS)
	@if [[ "$${DATABASE_URL:-}" == postgres* ]]; then \
		echo "== tests on PostgreSQL ($${DATABASE_URL}) =="; \
		$(BIN)/pytest $(PYTEST_ARGS); \
	else \
		echo "DATABASE_URL does not point at PostgreSQL: PostgreSQL run skipped"; \
	fi

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	touch $(STAMP)

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

## static: front-end libraries from npm into pingan/static/vendor, compiled translations; then
## collectstatic: hashed names and gzip/brotli copies under var/static, as `pingan serve` needs
## (`pingan demo` collects again, which is quick when nothing changed). Tests need neither.
static: install $(NODE_STAMP)
	$(BIN)/python scripts/build_static.py
	$(BIN)/pingan manage collectstatic --noinput --verbosity 0

## check-browser: the browser tests drive Debian's chromium; install it when we can (root)
check-browser:
	@bash scripts/ensure_browser.sh

## lint: ruff, and the layer contracts of ARCHITECTURE.md (import-linter, in pyproject.toml)
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) node_modules pingan/static/vendor var/static
