# Dougal: `make run` brings the whole system up locally; `make test` runs the full suite.
# Both install what they need first (PostgreSQL 15 + PostGIS 3, the virtualenv).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
REQS_HASH := $(shell cat requirements.txt requirements-dev.txt | sha256sum | cut -c1-12)
STAMP := $(VENV)/.installed-$(REQS_HASH)

.PHONY: setup system venv web run test bench lint fmt user clean-data deploy-check

setup: system venv web

system:
	@bash scripts/install-system.sh

venv: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@rm -f $(VENV)/.installed-* && touch $@

# The office page (web/): npm ci when the lock file changed, a build when a source is newer than it.
WEB_SOURCES := $(wildcard web/index.html web/vite.config.js web/scripts/*.mjs web/src/*)

web: web/dist/index.html

web/node_modules/.package-lock.json: web/package-lock.json | system
	cd web && npm ci --no-audit --no-fund --prefer-offline

web/dist/index.html: web/node_modules/.package-lock.json web/package.json $(WEB_SOURCES)
	cd web && npm run --silent build

run: setup
	$(PY) -m scripts.dev_stack

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

# `chalice package` of the app, infra/merge.py, the SAM transform and cfn-lint, all offline (no AWS account);
# also run by `make test` (tests/infra/test_deploy_check.py). Prints the package's sizes.
deploy-check: venv
	$(PY) -m infra.deploy_check $(DEPLOY_CHECK_ARGS)

bench: setup
	$(PY) -m scripts.bench

# Stops this checkout's `make run` and cluster, deletes the cluster's files and .local/ (the next run starts afresh).
clean-data:
	@$(if $(wildcard $(PY)),$(PY),$(PYTHON)) -m scripts.dev_stack clean-data

lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy chalicelib infra
	$(VENV)/bin/lint-imports

fmt: setup
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

# e.g. make user ARGS="add navigator --role user"
user: setup
	DOUGAL_DATABASE_URL=$$($(PY) -m scripts.localdb url) $(PY) -m chalicelib.cli user $(ARGS)
