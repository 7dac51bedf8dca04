# `make run` serves the site on http://127.0.0.1:5000; `make test` runs the
# test suite. Both create the virtual environment in .venv when needed.
# `make bench` measures the site under gunicorn beside a bare Flask floor
# and writes docs/benchmarks.md (BENCH_ARGS="-d 3s" for a short run);
# `make bench MODE=shared` checks two servers sharing one PostgreSQL
# (DATABASE_URL) and one Redis (RATELIMIT_STORAGE_URI). `make profile`
# profiles one page with pyinstrument (PROFILE_ARGS="/auth/login").
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test bench profile clean

run: $(VENV)/.runtime
	$(BIN)/python manage.py deploy
	$(BIN)/python manage.py runserver

test: $(VENV)/.dev
	$(BIN)/python -W error::DeprecationWarning manage.py test

bench: $(VENV)/.runtime
	@command -v wrk >/dev/null || { apt-get update -qq && \
		apt-get install -y -qq wrk; } || \
		{ echo 'wrk is needed: apt-get install wrk' >&2; exit 1; }
	$(BIN)/python -m bench $(if $(filter shared,$(MODE)),--shared) \
		$(BENCH_ARGS)

profile: $(VENV)/.dev
	$(BIN)/python -m bench.profile $(PROFILE_ARGS)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

clean:
	rm -rf $(VENV) tmp .coverage .pytest_cache
