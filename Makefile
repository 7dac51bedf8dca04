# `make run` serves the site on http://127.0.0.1:5000; `make test` runs the
# test suite. Both create the virtual environment in .venv when needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test clean

run: $(VENV)/.runtime
	$(BIN)/python manage.py deploy
	$(BIN)/python manage.py runserver

test: $(VENV)/.dev
	$(BIN)/python -W error::DeprecationWarning manage.py test

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
