# The two set-up commands of the README: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# requirements-test.lock: runtime + test + build (what the two commands install);
# requirements.lock: the same versions, runtime + build only (the container image, production).
LOCK := requirements-test.lock
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml $(LOCK) requirements.lock | sha1sum | cut -c1-12)
# The tool `make lock` resolves with (pinned: another version may resolve differently).
UV_VERSION := 0.13.8
APT_PACKAGES := slapd ldap-utils chromium
PYTEST_ARGS ?=

.PHONY: run test lint typecheck unit bench install lock system-deps postgres clean messages catalogs htmlcheck

# Everything from the lock (exact versions, hashes checked), then deskops itself without resolving
# anything again. A lock older than pyproject.toml's requirements stops here: run `make lock`.
$(STAMP): pyproject.toml $(LOCK) requirements.lock
	@$(PYTHON) tools/lock.py check
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	@rm -f $(VENV)/.installed-*
	@touch $@

# The HTML checker of the end-user tests (tests/htmlcheck/README.md), with the machine's Node.js.
HTMLCHECK := tests/htmlcheck/node_modules/.bin/html-validate
$(HTMLCHECK): tests/htmlcheck/package.json tests/htmlcheck/package-lock.json
	npm ci --prefix tests/htmlcheck --no-audit --no-fund --silent
	@touch $@

htmlcheck: $(HTMLCHECK)

install: $(STAMP) $(HTMLCHECK)

# Re-resolves pyproject.toml's requirements into both locks, keeping current pins that still fit.
lock:
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv==$(UV_VERSION)
	$(BIN)/python tools/lock.py compile $(BIN)/uv

# With Slack credentials (environment or .env) the production server, else the offline console
# (which loads the sample customers into an empty database; `deskops serve` never does).
run: $(STAMP)
	$(BIN)/deskops db upgrade
	@if $(BIN)/python -c 'import sys; from bot.config import slack_credentials_configured as c; sys.exit(not c())'; \
	then exec $(BIN)/deskops serve; else exec $(BIN)/deskops console; fi

# Debian packages the tests use: OpenLDAP's slapd (started by the tests themselves, never as a
# system service) and Chromium for the browser tests. Installed only when missing.
system-deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

postgres:
	@pg_isready -q -h 127.0.0.1 || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start
	@for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 && exit 0; sleep 1; done; \
	  echo "PostgreSQL at 127.0.0.1:5432 did not come up" >&2; exit 1

# Translations (README "Adding a language"): `make messages` extracts the English strings of the
# e-mail and page templates (and N_() in code) into messages.pot and merges them into every
# language's messages.po; translate the new or changed entries, then `make catalogs` compiles the
# .mo files the bot reads (committed, so an installed wheel needs no build step).
LOCALES := bot/i18n/locales
messages: $(STAMP)
	$(BIN)/pybabel -q extract -F babel.cfg -k N_ --add-location=file --sort-by-file --no-wrap \
	  --project=deskops --copyright-holder=deskops -o $(LOCALES)/messages.pot bot
	@for language in $$($(BIN)/python -m bot.i18n.languages); do \
	  test -f $(LOCALES)/$$language/LC_MESSAGES/messages.po || \
	    $(BIN)/pybabel -q init --no-wrap -i $(LOCALES)/messages.pot -d $(LOCALES) -l $$language; \
	done
	$(BIN)/pybabel -q update -i $(LOCALES)/messages.pot -d $(LOCALES) --no-wrap --no-fuzzy-matching \
	  --ignore-obsolete

catalogs: $(STAMP)
	$(BIN)/pybabel compile --statistics -d $(LOCALES)

LINTED := bot commands blocks console deskops tools tests alembic $(wildcard bench)

lint: $(STAMP)
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)

typecheck: $(STAMP)
	$(BIN)/mypy

# Four test processes on a two-CPU machine: most tests wait (for subprocesses, slapd, SMTP and
# Slack round trips, the outbox), so with two the load average stayed under 2 (pytest took
# 6 min 21-30 s with four on a quiet machine, against 8 min 47 s with two in a run that shared
# the machine for a minute or two).
TEST_PROCESSES ?= 4
test: system-deps postgres $(STAMP) $(HTMLCHECK) lint typecheck
	$(BIN)/python -m pytest -n $(TEST_PROCESSES) $(PYTEST_ARGS)

bench: system-deps postgres $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
