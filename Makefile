# Schouw — the two commands: `make run` and `make test`. `make help` lists the rest.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
PWA_STAMP := pwa/node_modules/.installed
SPECTRAL_STAMP := tools/spectral/node_modules/.installed
export SCHOUW_DATA_DIR ?= var
export SCHOUW_HOST ?= 127.0.0.1
export SCHOUW_PORT ?= 8000

.PHONY: help run test check lint types unit bench bench-peers clean schemas browser-deps

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(DEV_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

$(PWA_STAMP): pwa/package.json pwa/package-lock.json
	cd pwa && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(SPECTRAL_STAMP): tools/spectral/package.json tools/spectral/package-lock.json
	cd tools/spectral && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

run: $(STAMP) $(PWA_STAMP) ## Install, prepare ./var with demo data, serve on http://127.0.0.1:8000
	$(BIN)/schouw demo --if-empty
	$(BIN)/schouw serve

browser-deps: ## Install headless Chromium (Debian) for the browser tests if missing
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Chromium from Debian packages…"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || sudo sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null'; }

lint: $(DEV_STAMP) ## ruff
	$(BIN)/ruff check server tests bench
	$(BIN)/ruff format --check server tests bench

types: $(DEV_STAMP) ## mypy --strict
	$(BIN)/mypy

unit: $(DEV_STAMP) $(PWA_STAMP) $(SPECTRAL_STAMP) browser-deps ## JS unit tests, then pytest (all tests, slow ones included)
	node --test pwa/test/
	$(BIN)/pytest -q

test: $(DEV_STAMP) $(PWA_STAMP) $(SPECTRAL_STAMP) browser-deps lint types unit ## Install what tests need, then lint, types and all tests

check: test ## Same as test

schemas: $(STAMP) ## Regenerate JSON Schemas in schemas/
	$(BIN)/python -m server.checklists.schema
	$(BIN)/python -m server.sync.schema

bench: $(DEV_STAMP) ## Run the benchmarks; results in bench/results/ and docs/performance.md
	@if command -v npm >/dev/null 2>&1; then $(MAKE) --no-print-directory $(PWA_STAMP) browser-deps; fi
	$(BIN)/python -m bench.run_all

bench-peers: $(DEV_STAMP) ## Schouw vs PouchDB Server and @tus/server (npm ci into bench/.peers/; needs Node)
	$(BIN)/python bench/peers.py $(PEERS_ARGS)

clean: ## Remove the venv, node_modules and caches (keeps ./var)
	rm -rf $(VENV) pwa/node_modules tools/spectral/node_modules bench/.peers .pytest_cache .mypy_cache .ruff_cache
