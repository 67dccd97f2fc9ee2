# Saferhood: every set-up step lives here, so a fresh Debian machine needs only `make run` or `make test`.
#
#   make install   uv, the virtualenv, Python packages, GOV.UK Frontend (npm ci) copied into static/
#   make run       install, write .env once, migrate the SQLite database in var/, load the demo data,
#                  serve :8000 through gunicorn with the job worker (RUN_BIND=host:port to change)
#   make env-file  write the local settings file (dev profile, new secret key, SQLite path) unless it exists
#   make test      install (+ chromium, postgresql), ruff, migrations check, pytest on SQLite then PostgreSQL
#   make bench     install, run the benchmarks (results in benchmarks/results/)
#   make bench-national  install, national scale on PostgreSQL: 20M+ records, 43 forces (about half an hour)
#
# Install steps are guarded by stamp files, so a second run is quick.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PY := .venv/bin/python
# make test and make bench set the dev profile themselves; make run takes it from .env, as every
# `saferhood` command typed after it does.
MANAGE := SAFERHOOD_PROFILE=dev $(PY) manage.py
SAFERHOOD := .venv/bin/saferhood
GOVUK_SRC := node_modules/govuk-frontend/dist/govuk
GOVUK_DST := saferhood/static/govuk
DEMO_USER ?= analyst
DEMO_PASSWORD ?= sandwell-demo-2026
export DEMO_PASSWORD

.PHONY: help install run test bench bench-national lint clean

help:
	@echo "make run       set everything up and serve Saferhood at http://127.0.0.1:8000"
	@echo "make env-file  write .env (dev profile, new secret key, SQLite path) unless it exists"
	@echo "make test      set everything up and run the whole test suite (SQLite, then PostgreSQL)"
	@echo "make bench     run the benchmarks (results in benchmarks/results/)"
	@echo "make bench-national  national scale on PostgreSQL (20M+ records; benchmarks/results/national.json)"

install: .venv/.saferhood-installed .venv/.saferhood-compiled $(GOVUK_DST)/.installed $(GOVUK_DST)/.maps
	@# Our own sources change between installs: compile them on every install (only changed files
	@# are rewritten). Python reads .pyc files even where PYTHONDONTWRITEBYTECODE forbids writing them.
	@env -u PYTHONDONTWRITEBYTECODE $(PY) -m compileall -q saferhood

# --- Python --------------------------------------------------------------------------------------
.venv/.saferhood-installed: pyproject.toml
	@command -v uv >/dev/null 2>&1 || { \
	  command -v pip >/dev/null 2>&1 || (apt-get update -q && apt-get install -y -q python3-pip python3-venv); \
	  pip install --quiet uv || pip install --quiet --break-system-packages uv; }
	@# cairosvg (PNG chart downloads) needs Cairo; WeasyPrint (tasking pack PDFs) needs Pango.
	@ldconfig -p | grep -q libcairo.so.2 || (apt-get update -q && apt-get install -y -q libcairo2)
	@ldconfig -p | grep -q libpangoft2-1.0.so.0 || (apt-get update -q && apt-get install -y -q libpango-1.0-0 libpangoft2-1.0-0)
	@test -x $(PY) || uv venv --quiet --python python3 .venv
	@# --compile-bytecode: these machines forbid writing .pyc at run time, so without it every
	@# command would compile Django, pandas and scipy from source on every start (seconds).
	env -u PYTHONDONTWRITEBYTECODE uv pip install --quiet --compile-bytecode -p $(PY) -e '.[dev]'
	@touch $@

# A virtualenv made before installs compiled (or by a uv that compiled only what it changed):
# compile every installed package once (~30 s; later runs skip files already compiled).
.venv/.saferhood-compiled: .venv/.saferhood-installed
	env -u PYTHONDONTWRITEBYTECODE $(PY) -m compileall -q -j 0 .venv/lib
	@touch $@

# --- GOV.UK Frontend (from npm, pinned in package.json / package-lock.json) -----------------------
node_modules/.saferhood-installed: package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || (apt-get update -q && apt-get install -y -q nodejs npm)
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# The CSS asks for fonts and images at /assets/...; re-point those URLs at where Django serves them.
$(GOVUK_DST)/.installed: node_modules/.saferhood-installed
	rm -rf $(GOVUK_DST)
	mkdir -p $(GOVUK_DST)
	cp -r $(GOVUK_SRC)/assets $(GOVUK_DST)/assets
	cp $(GOVUK_SRC)/govuk-frontend.min.js $(GOVUK_DST)/
	sed 's#url(/assets/#url(/static/govuk/assets/#g' $(GOVUK_SRC)/govuk-frontend.min.css > $(GOVUK_DST)/govuk-frontend.min.css
	@touch $@

# The source maps the minified files name: collectstatic's hashed names need every file referenced.
$(GOVUK_DST)/.maps: $(GOVUK_DST)/.installed
	cp $(GOVUK_SRC)/govuk-frontend.min.css.map $(GOVUK_SRC)/govuk-frontend.min.js.map $(GOVUK_DST)/
	@touch $@

# --- Run -----------------------------------------------------------------------------------------
# The local settings file: written once, never overwritten (delete it to get a new one).
.PHONY: env-file
env-file: .env
.env: | .venv/.saferhood-installed
	$(PY) -m saferhood.env_file .env

# collectstatic (hashed, compressed copies in var/static) only when a static file or a package changed:
# it takes seconds, and a second `make run` should serve in under five.
STATIC_SOURCES := $(shell find saferhood/static -type f -not -name '.*' 2>/dev/null)
var/static/staticfiles.json: $(STATIC_SOURCES) .venv/.saferhood-installed | install .env
	SAFERHOOD_STATIC_MANIFEST=1 $(SAFERHOOD) collectstatic --no-input -v0

RUN_BIND ?= 127.0.0.1:8000
# serve runs the set-up steps in its own process before starting gunicorn and the job worker: each
# is quick when nothing changed, and one Python start-up instead of six keeps a second run fast.
run: install .env var/static/staticfiles.json
	@mkdir -p var
	$(SAFERHOOD) serve --bind $(RUN_BIND) \
	  --before "migrate --no-input" \
	  --before createcachetable \
	  --before load_demo \
	  --before "create_demo_user --username $(DEMO_USER)" \
	  --before "create_demo_user --username chair --agency police --role tasking_chair" \
	  --ready-message "Sign in as $(DEMO_USER) / $(DEMO_PASSWORD)" \
	  --ready-message "(or as chair / $(DEMO_PASSWORD): a police tasking chair, who can arrange meetings and raise problems)"

# --- Test ----------------------------------------------------------------------------------------
test: install system-packages lint
	@mkdir -p var
	$(MANAGE) makemigrations --check --dry-run
	@# pytest on SQLite and, alongside it, on PostgreSQL (see the script for what each pass runs).
	scripts/test-both-databases.sh

lint: install
	.venv/bin/ruff check .
	.venv/bin/lint-imports --no-cache
	.venv/bin/ruff format --check .

.PHONY: system-packages
system-packages:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -q && apt-get install -y -q chromium)
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || (apt-get update -q && apt-get install -y -q postgresql)

# --- Benchmarks ----------------------------------------------------------------------------------
bench: install
	SAFERHOOD_PROFILE=dev $(PY) -m benchmarks.run
	SAFERHOOD_PROFILE=dev $(PY) -m benchmarks.analytics_bench
	SAFERHOOD_PROFILE=dev $(PY) -m benchmarks.pages_bench

# Not part of make test: a throwaway PostgreSQL server (unless DATABASE_URL names one; PGTEST_PORT
# picks its port), 20M+ generated records cached under var/national. SCALE=0.01 for a quick run.
bench-national: install
	SAFERHOOD_PROFILE=dev $(PY) -m benchmarks.national_bench --scale $${SCALE:-1}

clean:
	rm -rf $(GOVUK_DST) node_modules .venv/.saferhood-installed test-results
