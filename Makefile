# Two commands on a fresh machine (python3 + make):
#   make run    install, start embedded services, migrate, seed the demo district, serve
#   make test   install, start fresh embedded services, run the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint fmt openapi services-down clean install

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[embedded,dev]"
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/offsite up

test: $(STAMP)
	$(BIN)/offsite test $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

fmt: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

openapi: $(STAMP)
	$(BIN)/python -m openapi.export

services-down: $(STAMP)
	$(BIN)/offsite services down --profile run
	$(BIN)/offsite services down --profile test

clean: $(STAMP)
	$(BIN)/offsite services wipe --profile run
	$(BIN)/offsite services wipe --profile test
	$(BIN)/offsite services wipe --profile bench
	rm -rf .data
