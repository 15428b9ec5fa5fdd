# Everything installs from the project's own files: a venv from the pinned requirements,
# and Node 22 plus the pinned CDK CLI from package.json/package-lock.json.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
# node_modules/.bin first: the pinned Node 22 and CDK CLI win over the machine's.
export PATH := $(CURDIR)/node_modules/.bin:$(BIN):$(PATH)
export CDK_DISABLE_VERSION_CHECK := true
export CDK_DISABLE_CLI_TELEMETRY := true
export PYTHONDONTWRITEBYTECODE := 1

DEMO_VENV := .build/demo-venv
ASSET_STAMP := .build/handler_asset.stamp
# Any Python with pip builds the asset: the dev venv's, or the demo venv's for `make demo`.
ASSET_PYTHON ?= $(BIN)/python
ASSET_PYTHON_INSTALLED ?= $(VENV)/.installed
ASSET_SOURCES := $(shell find lambda -type f -not -path '*/__pycache__/*' -not -name '*.pyc') \
	constructs/connect_contact_rules.py tools/handler_asset.py

.PHONY: help deps asset synth test lint docs demo plan-demo clean
help:
	@echo "make demo   - install what the demo needs (requirements-demo.txt), synthesize app.py and run its custom"
	@echo "              resource through Create, Update and Delete against the local Connect emulator, saying why"
	@echo "              each contact ended as it did (no AWS account needed)"
	@echo "make synth  - install everything, build the Lambda asset, synthesize app.py into cdk.out"
	@echo "make plan-demo - connect-contact-defaults plan and drift on app.py against the local Connect emulator"
	@echo "make docs   - build the docs site (mkdocs.yml: docs/ and the API reference) into .build/site, warnings as errors"
	@echo "make test   - the whole test suite (ruff, docs, unit, synth, cdk-nag, cfn-lint, packaging, lifecycle)"

$(VENV)/.installed: requirements.txt requirements-dev.txt pyproject.toml setup.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

deps: $(VENV)/.installed node_modules/.installed

$(DEMO_VENV)/.installed: requirements-demo.txt
	test -x $(DEMO_VENV)/bin/python || $(PYTHON) -m venv $(DEMO_VENV)
	$(DEMO_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-demo.txt
	touch $@

$(ASSET_STAMP): $(ASSET_SOURCES) $(ASSET_PYTHON_INSTALLED)
	$(ASSET_PYTHON) tools/handler_asset.py
	mkdir -p $(dir $@) && touch $@

asset: $(ASSET_STAMP)

synth: deps asset
	cdk synth --quiet
	@echo "synthesized: $$(ls cdk.out/*.template.json)"

demo: $(DEMO_VENV)/.installed node_modules/.installed
	$(MAKE) --no-print-directory asset ASSET_PYTHON=$(CURDIR)/$(DEMO_VENV)/bin/python \
		ASSET_PYTHON_INSTALLED=$(DEMO_VENV)/.installed
	$(DEMO_VENV)/bin/python tools/demo.py

plan-demo: deps asset
	$(BIN)/python tools/plan_demo.py

lint: deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

docs: deps
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

test: deps asset lint docs
	$(BIN)/python -m pytest -q

clean:
	rm -rf cdk.out .build constructs/connect_contact_defaults/handler_asset
