# `make run` and `make test` are all a fresh clone needs (see README.md).
VENV ?= .venv
PY := $(VENV)/bin/python
# The development server and CLI read their keys from instance/development.env (generated once, never
# committed); production sets them in the environment, which wins over the file.
DEV_ENV := instance/development.env
FLASK := $(VENV)/bin/flask --app wsgi --env-file $(DEV_ENV)
# Tests write Python's bytecode caches (__pycache__, ignored by git) even where PYTHONDONTWRITEBYTECODE is set:
# without them every test process compiles the app and pytest rewrites its plugins' modules afresh (~8 s of CPU).
PYTEST := env -u PYTHONDONTWRITEBYTECODE $(PY) -m pytest
# The suite runs on every core (pytest-xdist); `make test PYTEST_WORKERS=0` runs it in one process.
PYTEST_WORKERS ?= auto
PYTEST_PARALLEL := $(PYTEST) -n $(PYTEST_WORKERS) --dist worksteal
HAS_POSTGRES := $(shell ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | head -n 1)

.PHONY: lint install db run test test-sqlite test-postgres clean screenshots translations extract-messages update-messages bench

$(VENV)/.installed: setup.cfg pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,postgres]'
	touch $@

install: $(VENV)/.installed

# Translations: Chinese is the source language (the msgids); app/translations/<lang>/LC_MESSAGES/messages.po
# holds the other languages. The compiled .mo files are built here, never committed.
PYBABEL := $(VENV)/bin/pybabel
CATALOGUES := $(wildcard app/translations/*/LC_MESSAGES/messages.po)

translations: $(CATALOGUES:.po=.mo)

app/translations/%/LC_MESSAGES/messages.mo: app/translations/%/LC_MESSAGES/messages.po $(VENV)/.installed
	$(PYBABEL) compile --statistics --use-fuzzy -i $< -o $@

# After adding or changing a wrapped string: extract, merge into every catalogue, translate, compile.
extract-messages: install
	mkdir -p build
	mkdir -p build
	$(PYBABEL) extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output -o build/messages.pot .

update-messages: extract-messages
	$(PYBABEL) update --no-fuzzy-matching --ignore-obsolete -i build/messages.pot -d app/translations

# Random development keys, once per checkout (readable by the owner only); one process counts rate limits.
$(DEV_ENV): Makefile
	mkdir -p instance
	umask 077 && printf 'SECRET_KEY=%s\nJIEFEN_TRAIL_KEY=%s\nJIEFEN_RATELIMIT_STORAGE_URI=memory://\n' \
	  "$$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')" \
	  "$$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')" > $@

db: install translations $(DEV_ENV)
	$(FLASK) init-db
	$(FLASK) deploy-processes
	$(FLASK) seed-demo

# The web server and, beside it, the scheduler that fires timers (stopped together). Door plates and API
# links are built on JIEFEN_PUBLIC_BASE_URL: the development server's own address unless set.
run: export JIEFEN_PUBLIC_BASE_URL ?= http://127.0.0.1:5000
run: db
	@$(FLASK) scheduler run & trap 'kill $$! 2>/dev/null' EXIT INT TERM; \
	$(FLASK) run --host 127.0.0.1 --port 5000

# Lint and the two runs at once, as they wait on browsers, processes and the database as much as they compute;
# each one's output is shown whole when it is done. Both runs' documents are laid out once (JIEFEN_TEST_RENDERS).
test:
	@renders=$$(mktemp -d "$${TMPDIR:-/tmp}/jiefen-renders.XXXXXX") && trap 'rm -rf "$$renders"' EXIT && \
	JIEFEN_TEST_RENDERS=$$renders $(MAKE) --no-print-directory -j 3 --output-sync=target lint test-sqlite test-postgres

test-sqlite: install translations
	$(PYTEST_PARALLEL)

# The tests whose outcome can depend on the database (marked `database`, not `sqlite`: README.md, "What runs on
# PostgreSQL too") again, on PostgreSQL: the server named by JIEFEN_TEST_DATABASE_URL, or a throwaway one started
# by .ci/with-postgres. CI must not pass without it.
test-postgres: install translations
ifneq ($(JIEFEN_TEST_DATABASE_URL),)
	$(PYTEST_PARALLEL) -m 'database and not browser and not sqlite'
else ifneq ($(HAS_POSTGRES),)
	bash .ci/with-postgres $(PYTEST_PARALLEL) -m 'database and not browser and not sqlite'
else ifneq ($(CI),)
	@echo "PostgreSQL is required on CI: .ci/run installs it" >&2; exit 1
else
	@echo "PostgreSQL not installed: the database tests ran on SQLite only (see README)."
endif

# PNGs of the main pages, in Chinese, from the browser tests' setup (tests/browser/test_screenshots.py),
# and of the first page of a generated agreement.
screenshots: install translations
	JIEFEN_SCREENSHOTS=1 $(PYTEST) -m screenshots tests/browser/test_screenshots.py
	JIEFEN_SCREENSHOTS=1 $(PYTEST) tests/integration/test_documents.py -k page_image  # docs/agreement.png

# The benchmarks of bench/RESULTS.md (run by hand, never in CI): BENCH_CASES cases on SQLite (bench/bench.sqlite),
# then on a throwaway PostgreSQL (.ci/with-postgres). Each run generates afresh; gunicorn comes with the `bench` extra.
BENCH_CASES ?= 100000
bench: install translations
	$(PY) -m pip install --quiet -e '.[test,postgres,bench]'
	PYTHONPATH=. $(PY) bench/generate.py $(BENCH_CASES)
	PYTHONPATH=. $(PY) bench/run.py
	bash .ci/with-postgres sh -c 'PYTHONPATH=. $(PY) bench/generate.py $(BENCH_CASES) --url "$$JIEFEN_TEST_DATABASE_URL" \
	  && PYTHONPATH=. $(PY) bench/run.py --url "$$JIEFEN_TEST_DATABASE_URL"'

clean:
	rm -rf $(VENV) instance/jiefen.sqlite .pytest_cache app/translations/*/LC_MESSAGES/*.mo

# Style checks (pyflakes, pycodestyle, import order) with ruff, then type checks of app, forms and scheduler
# with mypy ([mypy] in setup.cfg); both are `test` extras. The first step of `make test`.
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
