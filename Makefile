# Two commands on a fresh machine (python3 + make):
#   make run    install, start embedded services, migrate, seed the demo district, serve
#   make test   install, start fresh embedded services, run the whole test suite
# (install also builds the mobile app in web/ with the Node from the `web` extra)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The mobile app (web/): npm ci when the lock changes, a Vite build when its sources do.
WEB_DEPS  := web/node_modules/.ci-stamp
WEB_BUILT := web/dist/.built
WEB_SRC   := $(shell find web/src web/public -type f 2>/dev/null) \
             web/index.html web/vite.config.ts web/tsconfig.json web/package.json

.PHONY: run test lint fmt openapi web-types services-down clean install

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[embedded,dev,web]"
	touch $(STAMP)

$(WEB_DEPS): web/package-lock.json | $(STAMP)
	$(BIN)/offsite npm ci
	touch $@

$(WEB_BUILT): $(WEB_DEPS) $(WEB_SRC)
	$(BIN)/offsite npm run build
	touch $@

install: $(STAMP) $(WEB_BUILT)

run: install
	$(BIN)/offsite up

test: install
	$(BIN)/offsite test $(PYTEST_ARGS)

lint: $(STAMP) $(WEB_DEPS)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/offsite npm run typecheck

fmt: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

openapi: $(STAMP) $(WEB_DEPS)
	$(BIN)/python -m openapi.export
	$(BIN)/offsite npm run gen:api

web-types: $(WEB_DEPS)
	$(BIN)/offsite npm run gen:api

services-down: $(STAMP)
	$(BIN)/offsite services down --profile run
	$(BIN)/offsite services down --profile test

clean: $(STAMP)
	$(BIN)/offsite services wipe --profile run
	$(BIN)/offsite services wipe --profile test
	$(BIN)/offsite services wipe --profile bench
	rm -rf .data web/dist web/node_modules
