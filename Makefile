# gpt371.infra — every entry point a user or CI needs. All targets do their own
# set-up (idempotent), so each works on a fresh Debian 12 machine as root.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
ROOT := $(CURDIR)
VENV ?= $(ROOT)/.venv
export PATH := $(VENV)/bin:$(PATH)
export ANSIBLE_CONFIG := $(ROOT)/ansible.cfg
COLLECTION := $(ROOT)/.collections/ansible_collections/gpt371/infra
PYTEST_ARGS ?=

.PHONY: help setup engine images lint sanity units integration \
        test test-slow demo lab-up lab-down lab-status bench clean rehearse purge

help:
	@grep -E '^## ' Makefile | sed 's/^## //'

## setup        venv (Python >= 3.12) + pinned requirements + apt packages
setup:
	@bash scripts/bootstrap.sh

## engine       start a Docker engine if none answers
engine: setup
	@bash scripts/dockerd.sh

## images       build the node / database images offline (cached by tag)
images: engine
	@bash images/build.sh

## lint         ansible-lint, production profile, offline
lint: setup
	ansible-lint

## sanity       ansible-test sanity (offline stand-in for its pip bootstrap)
sanity: setup
	bash scripts/sanity.sh $(SANITY_ARGS)

## units        unit tests (no services)
units: setup
	python -m pytest tests/unit $(PYTEST_ARGS)

## integration  modules and roles against real services (PostgreSQL, S3, HTTP, Docker)
integration: images
	python -m pytest tests/integration $(PYTEST_ARGS)

## test         everything CI runs: lint, sanity, then one pytest run over all suites; a table of their times
test:
	PYTEST_ARGS="$(PYTEST_ARGS)" bash scripts/test.sh

## test-slow    the lab suite, AWX workflow and installed copy with the tests make test cannot hold (GPT371_LAB_SLOW=1)
test-slow: setup
	GPT371_LAB_SLOW=1 python -m pytest tests/lab tests/awx/test_workflow.py tests/installed -rs $(PYTEST_ARGS)

## demo         the main job: site.yml on the local lab (GPT371_DEMO=local: verify.yml on local services)
demo: images
	bash scripts/demo.sh

## rehearse     the README's first command on a machine that never ran it (own engine, empty HOME; ~20 min)
rehearse:
	bash scripts/rehearse.sh $(REF)

## lab-up / lab-down / lab-status   the local OpenStack cloud
lab-up: images
	bash lab/lab.sh up
lab-down: setup
	bash lab/lab.sh down
lab-status: setup
	bash lab/lab.sh status

## bench        ratios from one run each: probes vs anchor modules, no-op vs first site.yml, verify 8 vs 1 agents,
##              provision of 1/4/8 servers, a warm make demo (issue 15's targets; about an hour)
bench: images
	python -m bench.probes
	python bench/site_noop.py
	python bench/verify_agents.py 1 8
	python bench/provision_parallel.py
	python bench/demo_warm.py

## purge        undo what demo/test put outside the clone (README); PURGE_APT=1, PURGE_DOCKER_DATA=1 go further
purge:
	@bash scripts/purge.sh

clean:
	rm -rf tests/output reports .pytest_cache
