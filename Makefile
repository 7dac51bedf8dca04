# `make run` serves the site on http://127.0.0.1:5000; `make test` runs the
# test suite with pytest, in one worker process per CPU (`.venv/bin/python
# manage.py test` runs it the book's way, in one). Both create the virtual
# environment in .venv when needed, with $(PYTHON), once
# tools/check_python.py has found it new enough (3.11).
# `make clean` removes the virtual environments and what the tests and
# tools left behind; `make cleandb` removes the development database, so
# that the next `make run` starts on an empty one.
# `make bench` measures the site under gunicorn beside a bare Flask floor
# and prints a table (BENCH_ARGS="-d 3s -r 1" for a short run); `make
# soak` loads it for a minute and fails on errors or memory growth
# (SOAK_ARGS="-d 10"). Both run in a virtual environment of their own with
# requirements.txt only, as deployed (the test tools would add to each
# worker's memory). `make profile` profiles one page with pyinstrument
# (PROFILE_ARGS="/secret --logged-in").
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test bench soak profile clean cleandb

run: $(VENV)/.runtime
	$(BIN)/python manage.py deploy
	$(BIN)/python manage.py runserver

test: $(VENV)/.dev
	$(BIN)/python -m pytest -n auto

BENCH_VENV := .venv-bench

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

bench: $(BENCH_VENV)/.runtime wrk
	$(BENCH_VENV)/bin/python -m bench $(BENCH_ARGS)

soak: $(BENCH_VENV)/.runtime wrk
	$(BENCH_VENV)/bin/python -m bench --soak $(SOAK_ARGS)

# Debian's wrk, installed when it is missing.
.PHONY: wrk
wrk:
	@command -v wrk >/dev/null || \
		($(SUDO) apt-get update && $(SUDO) apt-get install -y wrk)

$(BENCH_VENV)/.runtime: requirements.txt
	@$(PYTHON) tools/check_python.py
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install -q --upgrade pip
	$(BENCH_VENV)/bin/python -m pip install -q -r requirements.txt
	touch $@

profile: $(VENV)/.dev
	$(BIN)/python -m bench.profile $(PROFILE_ARGS)

$(BIN)/python:
	@$(PYTHON) tools/check_python.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

# Audits: `make lint` (ruff, and bandit on app/: no medium or high
# finding) and `make audit` (pip-audit on the pins; see docs/auditing.md).
.PHONY: lint audit fuzz

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/bandit -q -r app --severity-level medium

audit: $(VENV)/.dev
	$(BIN)/python tools/audit_pins.py $(AUDIT_FLAGS)

# `make fuzz`: every form, FUZZ_EXAMPLES Hypothesis examples each.
FUZZ_EXAMPLES ?= 1000
fuzz: $(VENV)/.dev
	FLASKY_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python \
		-W error::DeprecationWarning manage.py test tests.test_fuzz_forms

CLEANED := $(VENV) $(BENCH_VENV) tmp .coverage .pytest_cache

clean:
	@for path in $(CLEANED); do \
		if [ -e "$$path" ]; then echo "Removing $$path"; rm -rf "$$path"; fi; \
	done

# Only the SQLite file of the development configuration: a database that
# DEV_DATABASE_URL names is left alone.
DEV_DB := data-dev.sqlite

cleandb:
	@if [ -e $(DEV_DB) ]; then \
		echo "Removing the development database, $(DEV_DB):" \
			"the next \`make run\` makes a new, empty one"; \
		rm -f $(DEV_DB) $(DEV_DB)-journal; \
	else \
		echo "There is no development database ($(DEV_DB)) to remove"; \
	fi

# `make translations`: the texts of app/ extracted, merged into each
# catalogue of app/translations/ (pybabel update; translate what is new,
# then run it again) and compiled. A zh_Hant_TW folder: Babel's name for
# zh_TW. tests/test_catalogue.py fails on any text left untranslated.
.PHONY: translations
translations: $(VENV)/.dev
	mkdir -p tmp
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -o tmp/messages.pot app
	$(BIN)/pybabel -q update --ignore-obsolete -i tmp/messages.pot \
		-d app/translations
	$(BIN)/pybabel -q compile -d app/translations

# `make screenshots`: the browser tests, then the screenshots they saved
# in tmp/screenshots/ copied to docs/screenshots/ (a test run alone
# changes no file of the repository).
.PHONY: screenshots
screenshots: $(VENV)/.dev
	rm -rf tmp/screenshots
	$(BIN)/python -m pytest -q tests/test_browser.py \
		tests/test_browser_two_step.py tests/test_browser_passkeys.py
	cp tmp/screenshots/*.png docs/screenshots/
