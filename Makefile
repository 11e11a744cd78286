# The course stack: build, run, test, deploy. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

STACK_NAME ?= course
IMAGE_TAG ?= latest
DEMO_PORT ?= 8000
DEMO_PASSWORD ?= demo
# The parent of every image. The default is bootstrapped locally (no registry needed); with a
# registry, BASE_IMAGE=debian:bookworm-slim works the same.
BASE_IMAGE ?= course-base:bookworm
# CA certificates the bootstrapped base image trusts besides Debian's (a TLS-inspecting proxy's).
# Default: whatever this host trusts. Set it empty to trust Debian's bundle only.
EXTRA_CA_CERT ?= $(wildcard /etc/ssl/certs/ca-certificates.crt)
IMAGES := student hub proxy ngshare
PYTHON ?= python3
VENV := .venv
# GPU=1 adds compose.gpu.yml (the hub sees the GPUs through NVML); needs the NVIDIA toolkit.
GPU ?= 0
COMPOSE_FILES := -f compose.yml $(if $(filter 1,$(GPU)),-f compose.gpu.yml)
COURSE_DIR ?= $(CURDIR)
COMPOSE := STACK_NAME=$(STACK_NAME) IMAGE_TAG=$(IMAGE_TAG) COURSE_DIR=$(COURSE_DIR) docker-compose -p $(STACK_NAME) $(COMPOSE_FILES)

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

# -- images ---------------------------------------------------------------------------------

.PHONY: base-image
base-image: ## bootstrap the Debian base image locally (mmdebstrap + docker import) if missing
	@if [[ "$(BASE_IMAGE)" == course-base:* ]]; then \
	    EXTRA_CA_CERT="$(EXTRA_CA_CERT)" images/base/bootstrap.sh "$(BASE_IMAGE)"; fi

.PHONY: images
images: $(addprefix image-,$(IMAGES)) ## build all images (student, hub, proxy, ngshare; make -j4 builds them in parallel)

image-%: base-image
	docker build --build-arg BASE_IMAGE=$(BASE_IMAGE) --label org.course.image-tag=$(IMAGE_TAG) \
	    -f images/$*/Dockerfile -t course-$*:$(IMAGE_TAG) .

.PHONY: lock
lock: ## recompile every images/*/requirements.txt and tests/requirements.txt from their .in files
	$(PYTHON) -m pip install -q uv
	for d in $(IMAGES); do [ -f images/$$d/requirements.in ] || continue; \
	    uv pip compile -q --python-version 3.11 --python-platform x86_64-manylinux_2_28 --no-header \
	        --annotation-style line -o images/$$d/requirements.txt images/$$d/requirements.in; done
	grep -E '^(torch|torchvision|nvidia-[a-z0-9-]+|triton|cuda-[a-z0-9-]+|sympy|mpmath|networkx|filelock|fsspec|jinja2|markupsafe|typing-extensions|setuptools)==' \
	    images/student/requirements.txt | sed 's/ *#.*//' > images/student/requirements-torch.txt
	uv pip compile -q --python-version 3.11 --no-header --annotation-style line \
	    -o tests/requirements.txt tests/requirements.in

# -- the stack --------------------------------------------------------------------------------

.PHONY: demo
demo: images ## build what is missing and bring the course stack up at http://localhost:$(DEMO_PORT)
	HTTP_PORT=$(DEMO_PORT) DEMO_PASSWORD=$(DEMO_PASSWORD) $(COMPOSE) up -d
	@scripts/wait-for-hub http://127.0.0.1:$(DEMO_PORT)
	@echo "The course is up: http://localhost:$(DEMO_PORT)"
	@$(COMPOSE) exec -T hub python -m hub.demo_banner '$(DEMO_PASSWORD)'

.PHONY: down
down: ## stop the stack and the students' servers; keep every volume (homes, submissions)
	docker ps -aq --filter label=org.course.stack=$(STACK_NAME) | xargs -r docker rm -f
	$(COMPOSE) down

.PHONY: logs
logs: ## follow the stack's logs
	$(COMPOSE) logs -f --tail=100

.PHONY: course
course: $(VENV)/.done ## a staff command on the host, e.g. make course ARGS='autograde A1'
	STACK_NAME=$(STACK_NAME) $(VENV)/bin/course --course $(COURSE_DIR)/course.yml $(ARGS)

# -- deploy -----------------------------------------------------------------------------------

INVENTORY ?= ansible/inventories/example
ANSIBLE_PLAYBOOK := $(abspath $(VENV))/bin/ansible-playbook

.PHONY: deploy
deploy: $(VENV)/.done ## provision the server(s) in INVENTORY (default ansible/inventories/example)
	cd ansible && $(ANSIBLE_PLAYBOOK) -i $(abspath $(INVENTORY)) site.yml $(ANSIBLE_ARGS)

.PHONY: deploy-check
deploy-check: $(VENV)/.done ## show what `make deploy` would change (--check --diff)
	cd ansible && $(ANSIBLE_PLAYBOOK) -i $(abspath $(INVENTORY)) site.yml --check --diff $(ANSIBLE_ARGS)

.PHONY: gpu-check
gpu-check: $(VENV)/.done ## on the deployed GPU server(s): each GPU profile runs the GPU check
	cd ansible && $(ANSIBLE_PLAYBOOK) -i $(abspath $(INVENTORY)) gpu-check.yml $(ANSIBLE_ARGS)

.PHONY: gpu-check-local
gpu-check-local: ## the same check against the stack running here (make demo GPU=1)
	$(COMPOSE) exec -T hub python -m hub.gpu.check

.PHONY: restore
restore: $(VENV)/.done ## restore volumes from the latest nightly backup (docs/deploy.md)
	cd ansible && $(ANSIBLE_PLAYBOOK) -i $(abspath $(INVENTORY)) restore.yml $(ANSIBLE_ARGS)

# No `images` prerequisite: the deploy builds the images itself, under the run's own tag
# (it reuses the layers `make images` left in the build cache, and never retags :latest).
.PHONY: test-deploy
test-deploy: base-image $(VENV)/.done ## converge a throw-away Debian 12 target (tests/deploy, part of make test)
	$(VENV)/bin/python -m pytest -q tests/deploy

.PHONY: validate
validate: $(VENV)/.done ## check course.yml, the roster and the lab folders
	$(VENV)/bin/course --course course.yml validate

# -- tests ------------------------------------------------------------------------------------

$(VENV)/.done: tests/requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q -r tests/requirements.txt
	touch $@

.PHONY: test
test: images $(VENV)/.done ## the whole suite: unit, images, content, stack, browser, deploy (needs Docker)
	scripts/run-tests

.PHONY: test-unit
test-unit: $(VENV)/.done ## unit tests only (no Docker)
	$(VENV)/bin/python -m pytest -m "not docker" tests/unit tests/gpu tests/grading tests/publish

.PHONY: test-browser
test-browser: images $(VENV)/.done ## the student and TA journeys in headless Chromium (tests/browser)
	$(VENV)/bin/python -m pytest -q tests/browser

.PHONY: screenshots
screenshots: images $(VENV)/.done ## run the browser journeys and save the docs' screenshots in docs/img
	COURSE_SCREENSHOTS=docs/img $(VENV)/bin/python -m pytest -q tests/browser

.PHONY: lint
lint: $(VENV)/.done ## ruff on the Python code
	$(VENV)/bin/ruff check hub coursekit tests benchmarks jupyterhub_config.py
