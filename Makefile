# eCitizen: `make demo` runs the platform with demo data; `make test` runs the suite.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PORT ?= 8000
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
# First Python >= 3.12 on PATH, else one installed by pyenv.
PYTHON_FOUND := $(shell for p in python3.14 python3.13 python3.12 python3 \
	$$(ls -d $$(pyenv root 2>/dev/null || echo $$HOME/.pyenv)/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -rV); do \
	  command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null \
	  && { command -v $$p; break; }; done)

.PHONY: help venv assets demo test test-fast test-e2e lint messages bench clean

help:
	@echo "make demo   set up and run eCitizen with demo data on SQLite (http://127.0.0.1:$(PORT))"
	@echo "make test   run the whole test suite"
	@echo "make lint   ruff, mypy, migrations check, deploy check"
	@echo "make bench  benchmarks (see bench/README.md)"

$(VENV)/.installed: pyproject.toml
	@if [ -z "$(PYTHON_FOUND)" ]; then \
	  echo "eCitizen needs Python >= 3.12: none found on PATH or under pyenv. Install one (e.g. 'pyenv install 3.12') and rerun." >&2; exit 1; fi
	@test -x $(PY) || $(PYTHON_FOUND) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

venv: $(VENV)/.installed

node_modules/.installed: package.json
	npm install --no-audit --no-fund --loglevel=error
	@touch $@

# Vendor assets are copied from npm packages and served by the platform itself.
assets/vendor/.built: node_modules/.installed
	rm -rf assets/vendor && mkdir -p assets/vendor/uswds assets/vendor/htmx
	cp -r node_modules/@uswds/uswds/dist/{css,js,fonts,img} assets/vendor/uswds/
	cp node_modules/htmx.org/dist/htmx.min.js assets/vendor/htmx/
	@touch $@

assets: venv assets/vendor/.built
	$(MANAGE) compilemessages --ignore=.venv --ignore=node_modules -v 0

demo: assets
	$(MANAGE) migrate --noinput -v 0
	$(MANAGE) seed_demo
	$(MANAGE) run_demo --port $(PORT)

test: assets
	$(PY) -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

test-fast: assets
	$(PY) -m pytest -n 2 -m "not e2e" $(PYTEST_ARGS)

lint: assets
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy ecitizen config
	$(MANAGE) makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=config.settings.production SECRET_KEY=lint-only-$$(head -c 48 /dev/urandom | base64 | tr -dc a-zA-Z0-9) \
	  ECITIZEN_FIELD_KEYS=k1:$$($(PY) -c 'import base64,os;print(base64.urlsafe_b64encode(os.urandom(32)).decode())') \
	  ECITIZEN_HASH_KEY=lint-only-hash-key ALLOWED_HOSTS=ecitizen.example \
	  PERMIT_SIGNING_KEYS=lint:$$($(PY) -c 'import base64,os;print(base64.urlsafe_b64encode(os.urandom(32)).decode())') \
	  PUBLIC_BASE_URL=https://ecitizen.example \
	  $(MANAGE) check --deploy --fail-level WARNING

messages: venv
	$(MANAGE) makemessages -l fr -l es --ignore=.venv --ignore=node_modules --ignore=bench --ignore=tests --no-obsolete
	$(MANAGE) compilemessages --ignore=.venv --ignore=node_modules

# Benchmarks print figures, never assert them. BENCH_ARGS e.g. "--citizens 100000 --postgres".
bench: assets
	$(PY) bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) node_modules assets/vendor staticfiles test-artifacts
