# Journey: `make run` serves the app with demo data; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi

.PHONY: run serve lock test lint format test-tools chromium bench-deps mutate clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Journey needs Python 3.11 or newer (set PYTHON=python3.11).")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when the requirements change. The lock files pin every package with its hashes,
# so a changed or substituted download fails the install.
$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

# requirements.in and requirements-dev.in are edited by hand; `make lock` compiles them into the
# lock files, keeping every pin it can. LOCK_ARGS=--upgrade (or --upgrade-package NAME) moves pins.
PIP_COMPILE = $(BIN)/pip-compile --quiet --generate-hashes --strip-extras --allow-unsafe \
	--no-emit-index-url --no-emit-find-links --no-emit-trusted-host $(LOCK_ARGS)
lock: $(VENV)/.dev
	$(PIP_COMPILE) --output-file requirements.txt requirements.in
	$(PIP_COMPILE) --output-file requirements-dev.txt requirements-dev.in
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.txt
	touch $(VENV)/.dev $(VENV)/.runtime

run: $(VENV)/.runtime
	$(BIN)/flask db upgrade
	$(BIN)/flask seed-demo --if-empty
	@echo "Journey is starting on http://$${BIND:-127.0.0.1:5000}, with a worker for emails and scheduled work"
	@# The worker sends the emails and runs expire-holds each minute; Ctrl-C stops both.
	@export JOURNEY_INLINE_WORKER=$${JOURNEY_INLINE_WORKER:-false}; \
	export BASE_URL=$${BASE_URL:-http://$${BIND:-127.0.0.1:5000}}; \
	$(BIN)/flask worker --scheduled-work & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

# The production shape on this machine, from the Procfile: migrations (release), then every
# other process once, web twice (PORT and PORT+1, default 5000 and 5001), sharing DATABASE_URL
# and REDIS_URL. The worker sends the email; the web processes only queue it.
SERVE_PROCESSES = $(shell sed -n 's/^\([a-z][a-z0-9_-]*\):.*/\1/p' Procfile | grep -vx release)
serve: $(VENV)/.runtime
	@test -n "$$REDIS_URL" || { echo "make serve needs REDIS_URL (e.g. redis://127.0.0.1:6379/0) and a DATABASE_URL"; exit 1; }
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/honcho start --no-colour -f Procfile release
	PATH="$(abspath $(BIN)):$$PATH" JOURNEY_INLINE_WORKER=false WEB_CONCURRENCY=$${WEB_CONCURRENCY:-1} \
	  $(BIN)/honcho start --no-colour -f Procfile -c web=2 $(SERVE_PROCESSES)

# Browser tests drive Debian's Chromium; the any-day test moves the calendar with faketime.
# Install them when we can (root with apt-get), say so when we cannot.
test-tools:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium chromium-driver"; \
	command -v faketime >/dev/null 2>&1 || missing="$$missing faketime"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing$$missing for the tests (apt-get)…"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing) >/dev/null; \
	  else \
	    echo "NOTE: not installed:$$missing; the tests that need them will be skipped."; \
	    echo "      Install with: sudo apt-get install$$missing"; \
	  fi; \
	fi

chromium: test-tools

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Tests run in parallel, one process per core (pytest-xdist); each process has its own database.
# PYTEST_ARGS passes extra options, e.g. PYTEST_ARGS='-m "not browser"'.
TEST_WORKERS ?= auto
PYTEST_ARGS ?=
test: $(VENV)/.dev test-tools lint
	$(BIN)/pytest -n $(TEST_WORKERS) --durations=15 $(PYTEST_ARGS)

# Mutation testing of the rule modules with mutmut: slow and CPU-heavy, so not part of `make test`
# or CI. MODULES picks some (names in scripts/mutate.py), e.g. make mutate MODULES=checkin-services.
MODULES ?=
mutate: $(VENV)/.dev
	$(BIN)/python scripts/mutate.py $(MODULES)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mutmut
