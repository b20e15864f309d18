# Entry points for developers and CI. A new machine needs only Python 3.11+ and make:
#   make run    install into .venv, start the database (embedded PostgreSQL unless DATABASE_URL is set),
#               migrate, seed demo data, then serve the portal with a Celery worker and beat
#   make test   install into .venv, run the test suite (PYTEST_ARGS='-k sla -x' passes arguments on)
# The processes are started and stopped by scripts/itsmctl.py; see its --help.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.install-stamp
ITSMCTL := $(PY) scripts/itsmctl.py
VAR_DIR := $(or $(ITSM_VAR_DIR),var)
PYTEST_ARGS ?=
BENCH_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help install run test bench lint check stop clean

help:
	@echo "make run      start the portal, a Celery worker and beat (Ctrl-C stops everything)"
	@echo "make test     run the tests (PYTEST_ARGS='...' passes arguments to pytest)"
	@echo "make bench    run the benchmarks (BENCH_ARGS='...' passes arguments to bench.run)"
	@echo "make lint     ruff and the import-layering contracts"
	@echo "make check    migrations in step with models; deployment checks of the production profile"
	@echo "make install  create .venv and install the project (again only when pyproject.toml changes)"
	@echo "make stop     stop an embedded PostgreSQL left running"
	@echo "make clean    stop, then delete $(VAR_DIR)/ (database, broker folders, uploads)"

install: $(STAMP)

# The stamp makes installing a no-op until pyproject.toml changes: pip takes seconds even with nothing to do.
# A venv that fails half way is removed, so that the next attempt starts clean rather than without pip.
$(STAMP): pyproject.toml
	@if [ ! -x $(PY) ]; then \
		$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
			echo "Python 3.11 or newer is needed; '$(PYTHON)' is not (try: make PYTHON=python3.12 ...)"; exit 1; }; \
		echo "$(PYTHON) -m venv $(VENV)"; \
		$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
			echo "Could not create $(VENV). On Debian or Ubuntu: apt-get install python3-venv"; exit 1; }; \
	fi
	$(PY) -m pip install --disable-pip-version-check --progress-bar off -e '.[dev]'
	@touch $@

run: install
	$(ITSMCTL) run

test: install
	$(ITSMCTL) test $(PYTEST_ARGS)

bench: install
	$(ITSMCTL) bench $(BENCH_ARGS)

# Both linters run even when the first fails, so that one run shows every problem.
lint: install
	@status=0; \
	echo "$(VENV)/bin/ruff check ."; $(VENV)/bin/ruff check . || status=1; \
	echo "$(VENV)/bin/lint-imports"; $(VENV)/bin/lint-imports || status=1; \
	exit $$status

# check --deploy runs under the production profile with a throw-away SECRET_KEY made here, so that no key is
# ever written down; --fail-level WARNING turns any warning into a failure.
check: install
	$(ITSMCTL) manage makemigrations --check --dry-run
	@echo "ITSM_PROFILE=production DEBUG=false ALLOWED_HOSTS=itsm.example.com SECRET_KEY=<random> \\"
	@echo "    $(ITSMCTL) manage check --deploy --fail-level WARNING"
	@SECRET_KEY="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(64)[:50])')" \
		ITSM_PROFILE=production DEBUG=false ALLOWED_HOSTS=itsm.example.com \
		$(ITSMCTL) manage check --deploy --fail-level WARNING

stop:
	@if [ -x $(PY) ]; then $(ITSMCTL) stop; fi

clean: stop
	rm -rf "$(VAR_DIR)"
