# Two commands: `make run` (serve the portal with demo data) and `make test`.
# Works on a fresh Debian 12 machine as root with nothing running.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
APT_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-ipaexfont-mincho fonts-ipaexfont-gothic poppler-utils zbar-tools
BROWSER_PACKAGES := chromium

.PHONY: run test deps system-deps browser-deps lint check security audit test-unit test-worker test-browser clean

# requirements-dev.lock = requirements.lock (what the image installs) + the test,
# lint, security and benchmark tools; either file changing reinstalls.
$(VENV)/.installed: requirements.lock requirements-dev.lock pyproject.toml
	@$(PYTHON) -m venv --help >/dev/null 2>&1 && $(PYTHON) -c 'import ensurepip' 2>/dev/null || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.lock
	touch $@

deps: $(VENV)/.installed system-deps

# The Debian libraries WeasyPrint needs and the IPAex fonts for forms and PDFs.
system-deps:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing: $$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

browser-deps:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(BROWSER_PACKAGES); }

# SITE_URL (the address in e-mail links) follows HOST and PORT unless it is set.
run: deps
	$(PY) manage.py migrate --noinput
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(PY) manage.py load_demo
	@echo "==> http://$(HOST):$(PORT)/"
	SITE_URL=$${SITE_URL:-http://$(HOST):$(PORT)} DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(PY) manage.py runserver $(HOST):$(PORT)

lint: deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

check: deps
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run

# The apps' layers (import-linter contracts in pyproject.toml); eager tests in
# parallel; then the Celery worker tests and the browser tests,
# each in its own pytest run (they need committed data and their own threads).
test: deps browser-deps check lint
	$(VENV)/bin/lint-imports --no-logo
	$(PY) -m pytest -n $${PYTEST_WORKERS:-2} -m "not worker and not browser" -q
	$(PY) -m pytest -m worker -q -p no:xdist
	$(PY) -m pytest -m browser -q -p no:xdist

# bandit over the code that ships (medium and high severity): must print no issue.
security: deps
	$(VENV)/bin/bandit -q -r . -x ./.venv,./tests,./benchmarks -ll
# Known vulnerabilities of the pinned runtime packages (pip-audit; needs the
# network, so not part of `make test`). --strict: a package whose advisory
# data cannot be read is an error, never a silent "no known vulnerabilities".
audit: deps
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.lock
	$(VENV)/bin/pip-audit --strict --progress-spinner off -r requirements.lock

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
