# Two commands: `make run` (set up and serve) and `make test` (set up and test).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# FHIR R4 validator (fhir.resources 6.4 needs pydantic 1): a venv of its own for the tests.
FHIR_VENV := .venv-fhir
export FLASK_APP := wsgi

.PHONY: run serve setup test lint chromium bench clean translations

$(VENV)/.run-installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.test-installed: pyproject.toml $(VENV)/.run-installed
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

$(FHIR_VENV)/.installed: tests/fhir-validator-requirements.txt
	test -x $(FHIR_VENV)/bin/python || $(PYTHON) -m venv $(FHIR_VENV)
	$(FHIR_VENV)/bin/python -m pip install --quiet -r tests/fhir-validator-requirements.txt
	touch $@

## setup: database, seed directory (first time only) and search index
setup: $(VENV)/.run-installed
	$(BIN)/flask resdir setup

## run: set everything up and serve on http://127.0.0.1:5000
# Mail goes to files in instance/mail unless RESDIR_MAIL_FOLDER is set (set it empty for SMTP).
run: setup
	RESDIR_MAIL_FOLDER=$${RESDIR_MAIL_FOLDER-instance/mail} $(BIN)/flask run --host 127.0.0.1 --port 5000

## serve: production serving with gunicorn (gunicorn.conf.py) on http://127.0.0.1:8000;
## add gunicorn options with SERVE_ARGS, e.g. make serve SERVE_ARGS="--bind 0.0.0.0:8000"
SERVE_ARGS ?=
serve: setup
	$(BIN)/gunicorn -c gunicorn.conf.py $(SERVE_ARGS) wsgi:app

## chromium: Debian's Chromium for the browser tests, installed when missing
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium; }

## translations: after changing interface text, extract it, update the catalogs in
## resdir/translations and compile them (the .mo files are committed, so a clone needs no step)
translations: $(VENV)/.run-installed
	$(BIN)/pybabel extract -F babel.cfg --no-location --sort-output --project resdir \
		-o resdir/translations/messages.pot .
	$(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete --width 100 -i resdir/translations/messages.pot \
		-d resdir/translations
	$(BIN)/pybabel compile --statistics -d resdir/translations

lint: $(VENV)/.test-installed
	$(BIN)/ruff check resdir tests bench wsgi.py

## test: lint, then the whole suite on SQLite and again on a real PostgreSQL server, each
## spread over the machine's cores (pytest-xdist; PYTEST_ARGS="-n 0" runs in one process)
PYTEST_ARGS ?=
test: $(VENV)/.test-installed $(FHIR_VENV)/.installed chromium lint
	$(BIN)/python -m pytest -p no:cacheprovider $(PYTEST_ARGS)
	$(BIN)/python -m pytest -p no:cacheprovider --db=postgres $(PYTEST_ARGS)

bench: $(VENV)/.test-installed
	$(BIN)/python bench/search.py

clean:
	rm -rf $(VENV) $(FHIR_VENV) instance
