# FieldVisit. The README's two commands: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PG_VERSION_DIR = $(shell ls /etc/postgresql 2>/dev/null | head -n 1)

.PHONY: run serve demo migrate install install-test test test-unit test-routes test-postgres test-browser \
        lint bench bench-smoke messages postgres system-packages clean

## make run: venv, install, migrate the embedded SQLite database, load the demo, serve on :8000
run: install
	$(PY) -m fieldvisit demo
	$(PY) -m fieldvisit serve

serve: install
	$(PY) -m fieldvisit serve

demo: install
	$(PY) -m fieldvisit demo

migrate: install
	$(PY) -m fieldvisit migrate

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-fund --no-audit --silent
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test node_modules/.installed system-packages postgres

## make test: everything CI runs: lint, unit, routes on SQLite and PostgreSQL, browser, benchmark smoke run
test: install-test lint test-unit test-routes test-postgres test-browser bench-smoke

lint:
	$(PY) -m ruff check fieldvisit tests bench

test-unit:
	$(PY) -m pytest tests/unit -q

test-routes:
	$(PY) -m pytest tests/routes tests/storage -q

test-postgres: postgres
	FIELDVISIT_TEST_DB=postgres $(PY) -m pytest tests/routes tests/storage -q

test-browser: system-packages
	$(PY) -m pytest tests/browser -q

bench: install-test
	$(PY) -m bench

bench-smoke:
	$(PY) -m bench --smoke

## extract strings and update fieldvisit/locale/id/LC_MESSAGES/*.po
messages: install
	$(PY) -m fieldvisit messages

## start the local PostgreSQL cluster if it is down (CI machines and this dev box)
postgres:
	@pg_isready -q -h 127.0.0.1 -p 5432 || { \
	  echo "starting PostgreSQL $(PG_VERSION_DIR)"; \
	  pg_ctlcluster --skip-systemctl-redirect $(PG_VERSION_DIR) main start; \
	  for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done; }
	@pg_isready -h 127.0.0.1 -p 5432

## Debian packages for tests and benchmarks: chromium (Playwright cannot download browsers here),
## fonts, wrk (HTTP load generator). Installed only when missing; needs root (as on CI).
SYSTEM_PACKAGES := chromium fonts-liberation wrk
system-packages:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then echo "installing $$missing"; apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; fi
	@command -v chromium >/dev/null && command -v wrk >/dev/null

clean:
	rm -rf $(VENV) node_modules var test-artifacts bench/results
