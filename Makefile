# Tracker: the two commands a newcomer needs are `make run` and `make test`.
# GNU make on Debian with Python 3.11+; everything else is installed from here.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
PORT ?= 5000
# The demo accounts' password: DEVELOPMENT_DEMO_PASSWORD in tracker/config.py (keep in step).
DEMO_PASSWORD := demo-password-2026
PYTEST_ARGS ?=

VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
FLASK := $(BIN)/flask --app tracker

# WeasyPrint's libraries and fonts, pdftotext for the PDF tests, Chromium for browser tests.
APT_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 \
	fonts-dejavu-core poppler-utils chromium

TRANSLATIONS := tracker/translations
POT := $(TRANSLATIONS)/messages.pot
LOCALES := ru
# Keep in step with BABEL_KEYWORDS in tests/test_i18n.py.
BABEL_KEYWORDS := -k _l -k lazy_gettext -k lazy_ngettext:1,2 -k lazy_pgettext:1c,2
PO_FILES := $(wildcard $(TRANSLATIONS)/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)

.PHONY: help run test lint bench bench-http bench-load translations system-packages install compile-translations

help:
	@echo "make run           install what is missing, migrate, load demo data, serve on port $(PORT)"
	@echo "make test          install what is missing, run the test suite (PYTEST_ARGS=... to pass options)"
	@echo "make lint          ruff, import contracts (import-linter), types (mypy)"
	@echo "make bench         time pages at 10k and 1M pledges and a 100k-row import (BENCH_SIZES=10000: quicker)"
	@echo "make bench-http    pages and writes through gunicorn against /healthz (BENCH_HTTP_ARGS=...)"
	@echo "make bench-load    readers and writers at once through gunicorn on PostgreSQL, 30 s"
	@echo "make translations  extract messages, update the Russian catalogue, compile it"

run: system-packages install compile-translations
	$(FLASK) db upgrade
	$(FLASK) seed-demo --if-empty
	@echo
	@echo "  Tracker: http://127.0.0.1:$(PORT)/ (listening on 127.0.0.1 only; stop it with Ctrl+C)"
	@echo "  Log in with a demo account, one per role, password $(DEMO_PASSWORD):"
	@echo "    admin@demo.tracker        administrator: users, currencies, everything"
	@echo "    coordinator@demo.tracker  regional coordinator (Eco-Accord): every campaign, the audit trail"
	@echo "    fundraiser@demo.tracker   fundraiser: applications and proposals, reads the rest"
	@echo "    lead@demo.tracker         campaign lead (For Nature, Chelyabinsk): Water and air quality"
	@echo "    viewer@demo.tracker       viewer: reads everything, changes nothing"
	@echo "    partner@demo.tracker      a partner's lead (Moldova): its own spending of the UNIDO grant"
	@echo
	TRACKER_BASE_URL=$${TRACKER_BASE_URL:-http://127.0.0.1:$(PORT)} $(FLASK) run --host 127.0.0.1 --port $(PORT)

test: system-packages install compile-translations
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy

# SQLite always, PostgreSQL when reachable (TRACKER_BENCH_DATABASE_URL); see bench/README.md.
# bench/run.py builds each size's database with the generator outside the app, bench/seed.py.
BENCH_SIZES ?= 10000,1000000
BENCH_ARGS ?=

bench: install compile-translations
	$(BIN)/python bench/run.py --sizes $(BENCH_SIZES) $(BENCH_ARGS)
	$(BIN)/python bench/proposal.py

# Issue 15: each page and write through gunicorn in production mode against /healthz in the
# same run (bench/pages.py), and a bounded mixed load (bench/load.py); see bench/README.md.
BENCH_HTTP_ARGS ?= --size 10000
BENCH_LOAD_ARGS ?= --size 10000 --seconds 30

bench-http: install compile-translations
	$(BIN)/python -m bench.pages --backend sqlite $(BENCH_HTTP_ARGS)
	$(BIN)/python -m bench.pages --backend postgresql $(BENCH_HTTP_ARGS)

bench-load: install compile-translations
	$(BIN)/python -m bench.load --backend postgresql $(BENCH_LOAD_ARGS)

translations: install
	@mkdir -p $(TRANSLATIONS)
	$(BIN)/pybabel extract -F babel.cfg $(BABEL_KEYWORDS) --project Tracker --version 0.1.0 \
		--copyright-holder "EECCA chemical-safety coalition" -o $(POT) .
	@for locale in $(LOCALES); do \
		$(BIN)/pybabel update -i $(POT) -d $(TRANSLATIONS) -l $$locale --init-missing || exit 1; \
	done
	$(BIN)/pybabel compile --statistics -d $(TRANSLATIONS)

compile-translations: $(MO_FILES)

# .mo files are not committed: they are built from the .po catalogue before the app runs.
$(TRANSLATIONS)/%/LC_MESSAGES/messages.mo: $(TRANSLATIONS)/%/LC_MESSAGES/messages.po | $(INSTALLED)
	$(BIN)/pybabel compile --statistics -l $* -i $< -o $@

install: $(INSTALLED)

# Re-installs only when pyproject.toml changes (or the virtualenv is new).
$(INSTALLED): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -e '.[dev]'
	@touch $@

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { \
		echo "Tracker needs Python 3.11 or newer; $(PYTHON) is $$($(PYTHON) --version 2>&1)."; \
		echo "Run with PYTHON=/path/to/python3.11 make ..."; exit 1; }
	$(PYTHON) -m venv $(VENV)

# Installs missing Debian packages when run as root; otherwise says what to run.
system-packages:
	@if ! command -v dpkg-query >/dev/null; then \
		echo "Not a Debian system: make sure Pango, HarfBuzz, DejaVu fonts, poppler-utils" \
			"and Chromium are installed."; \
		exit 0; \
	fi; \
	missing=""; \
	for package in $(APT_PACKAGES); do \
		dpkg-query -W -f='$${db:Status-Status}' $$package 2>/dev/null | grep -qx installed \
			|| missing="$$missing $$package"; \
	done; \
	if [ ! -x $(BIN)/python ] && ! $(PYTHON) -c 'import ensurepip' 2>/dev/null; then \
		missing="$$missing python3-venv"; \
	fi; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "Installing Debian packages:$$missing"; \
			apt-get update && DEBIAN_FRONTEND=noninteractive \
				apt-get install -y --no-install-recommends $$missing; \
		else \
			echo "Tracker needs these Debian packages:$$missing"; \
			echo "Install them, then run make again:"; \
			echo; \
			echo "    sudo apt-get install -y$$missing"; \
			echo; \
			exit 1; \
		fi; \
	fi
