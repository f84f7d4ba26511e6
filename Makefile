# armsbrief: `make report` builds the default brief, `make test` runs every test.
# Both set up the environment themselves on a fresh machine (scripts/setup.sh).
.DEFAULT_GOAL := help
SHELL := /bin/bash

VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.armsbrief-installed
TEST_STAMP := $(VENV)/.armsbrief-test-tools

SUPPLIER ?= Belarus
RECIPIENT ?= Azerbaijan
ALLY ?= Armenia
ALLIANCE ?= CSTO
START ?= 2018
END ?= 2022
TRANSFERS ?= auto
CASE ?=
COMPARE_WITH ?=
CONFLICTS ?=
ALLIANCE_SCREEN ?= CSTO
SPEC ?= briefs.yml
# The parameters reach the CLI through the environment, never through the recipe's text: a value with
# quotes, $(...) or backticks stays a value (the shell expands "$$SUPPLIER" without re-reading it).
REGION ?=
FOCUS ?=
export SUPPLIER RECIPIENT ALLY ALLIANCE START END TRANSFERS CASE COMPARE_WITH CONFLICTS ALLIANCE_SCREEN SPEC REGION FOCUS

$(STAMP): pyproject.toml scripts/setup.sh
	@scripts/setup.sh
	@touch $@

$(TEST_STAMP): $(STAMP)
	@scripts/setup.sh --test
	@touch $@

.PHONY: help setup report screen trends briefs tiv test lab bench clean references
help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 14

setup: $(STAMP) ## create .venv and install the package (and system libraries the PDF route needs)

report: $(STAMP) ## build a brief: make report [SUPPLIER= RECIPIENT= ALLY= ALLIANCE= START= END= TRANSFERS= CASE= COMPARE_WITH= CONFLICTS=]
	@$(BIN)/armsbrief brief --supplier "$$SUPPLIER" --recipient "$$RECIPIENT" \
	  --ally "$$ALLY" --alliance "$$ALLIANCE" --start "$$START" --end "$$END" \
	  --transfers "$$TRANSFERS" --case "$$CASE" --compare-with "$$COMPARE_WITH" --conflicts "$$CONFLICTS"

screen: $(STAMP) ## build the alliance screen brief: make screen [ALLIANCE_SCREEN= START= END= TRANSFERS=]
	@$(BIN)/armsbrief screen --alliance "$$ALLIANCE_SCREEN" --start "$$START" --end "$$END" \
	  --transfers "$$TRANSFERS"

trends: $(STAMP) ## build the trends report (needs a SIPRI register): make trends START=2019 END=2023 [REGION= FOCUS= TRANSFERS=]
	@$(BIN)/armsbrief trends --start "$$START" --end "$$END" --region "$$REGION" --focus "$$FOCUS" \
	  --transfers "$$TRANSFERS"

briefs: $(STAMP) ## build many briefs in parallel from a spec: make briefs [SPEC=briefs.yml]
	@$(BIN)/armsbrief batch "$$SPEC"

test: $(TEST_STAMP) ## run all tests (unit, data checks, notebook regression, browser)
	@$(BIN)/python -m pytest

references: $(STAMP) ## regenerate the nbval reference notebooks after an intended change
	@$(BIN)/python -m analysis.pipeline.references

lab: $(STAMP) ## open JupyterLab in the project environment (installs it on first use)
	@test -x $(BIN)/jupyter-lab || $(BIN)/python -m pip install -q -e ".[dev,lab]"
	@$(BIN)/jupyter lab --notebook-dir=notebooks

bench: $(STAMP) ## run the benchmarks and print the figures
	@$(BIN)/python bench/run.py

clean: ## remove generated reports and caches (keeps .venv)
	rm -rf reports/*/ data/cache .pytest_cache
