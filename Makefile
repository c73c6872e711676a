# Liberta: every target sets up what it needs on first use (.venv, node_modules).
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
CORE_STAMP := $(VENV)/.core-stamp
PY_STAMP := $(VENV)/.installed-stamp
NODE_STAMP := node_modules/.installed-stamp

export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CDK_DISABLE_CLI_TELEMETRY := true
export PYSPARK_PYTHON := $(CURDIR)/$(BIN)/python

.PHONY: help setup test lint format demo

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s $$'\t'

# Two install levels: what `liberta` needs to run (demo), and everything the tests need.
$(CORE_STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	@touch $@

$(PY_STAMP): $(CORE_STAMP)
	$(BIN)/pip install --quiet -e '.[dev,infra]'
	@touch $@

setup: $(PY_STAMP) ## create .venv and install Liberta with its dev and infra extras

demo: $(CORE_STAMP) ## generate a sample, run the pipeline twice (embedded profile), print figures, write the report
	$(BIN)/liberta demo

test: $(PY_STAMP) $(NODE_STAMP) ## run the whole test suite (unit, Spark, Postgres, infra)
	$(BIN)/pytest

lint: $(PY_STAMP) ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(PY_STAMP) ## apply ruff fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# LocalStack on the host (no Docker): its own pinned Python 3.13 venv, built on first use.
.PHONY: localstack-up localstack-down localstack-deploy localstack-demo
localstack-up: $(CORE_STAMP) ## start LocalStack on 127.0.0.1:4566 with Liberta's extension (state in .liberta/localstack)
	$(BIN)/liberta localstack up

localstack-down: $(CORE_STAMP) ## stop LocalStack
	$(BIN)/liberta localstack down

localstack-deploy: $(PY_STAMP) $(NODE_STAMP) localstack-up ## deploy the CDK app's local stage into LocalStack (cdklocal)
	$(BIN)/liberta localstack deploy

localstack-demo: $(PY_STAMP) $(NODE_STAMP) localstack-up ## make demo through the deployed state machine in LocalStack (left running: make localstack-down)
	$(BIN)/liberta localstack demo

.PHONY: jar
jar: $(PY_STAMP) ## rebuild emr_jobs/data/liberta-spark.jar (the plain parser) from emr_jobs/jvm/src (needs javac)
	$(BIN)/python -m liberta.jvm_build

.PHONY: package
package: $(PY_STAMP) ## build the EMR job package (entry script + emr_jobs.zip) into dist/emr
	$(BIN)/python -m emr_jobs.packaging --out dist/emr

# Infrastructure (AWS CDK): the pinned CDK CLI and asl-validator live in node_modules.
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

CDK := npx --no-install cdk
SYNTH_COMBOS := dev:serverless dev:cluster prod:cluster prod:serverless

.PHONY: synth
synth: $(PY_STAMP) $(NODE_STAMP) ## cdk synth every stage and both EMR modes into cdk.out/<stage>-<mode>
	@set -e; for combo in $(SYNTH_COMBOS); do \
		stage=$${combo%%:*}; mode=$${combo##*:}; \
		echo "cdk synth -c stage=$$stage -c emr_mode=$$mode -> cdk.out/$$stage-$$mode"; \
		$(CDK) synth --quiet -c stage=$$stage -c emr_mode=$$mode -o cdk.out/$$stage-$$mode; \
	done

# Benchmarks: speed and memory are measured here, never asserted in tests.
.PHONY: bench
bench: $(PY_STAMP) ## measure the generator, the Spark job and the warehouse load; writes bench-results/
	@mkdir -p bench-results
	$(BIN)/python -m bench.generator
	$(BIN)/python -m bench.spark_job
	$(BIN)/python -m bench.load
