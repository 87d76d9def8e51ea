# okrplan — `make run` serves the demo, `make test` runs every check. Only python3 (3.11+) and pip are needed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
HOST   ?= 127.0.0.1:8000

.PHONY: run test serve bench lint format messages compilemessages clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@ $(VENV)/.installed

compilemessages: $(VENV)/.installed
	DEBUG=true $(PY) manage.py i18n compile > /dev/null

run: $(VENV)/.installed compilemessages
	DEBUG=true $(PY) manage.py migrate --noinput
	DEBUG=true $(PY) manage.py load_demo
	@echo "okrplan: http://$(HOST)/"
	DEBUG=true $(PY) manage.py runserver $(HOST)

test: $(VENV)/.installed-dev compilemessages
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DEBUG=true $(PY) manage.py check
	DEBUG=true $(PY) manage.py makemigrations --check --dry-run
	$(BIN)/pytest --cov --cov-report=term:skip-covered

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# After adding strings: make messages AREA=<area>, then fill the German in locale/<area>/de/LC_MESSAGES/django.po
messages: $(VENV)/.installed
	DEBUG=true $(PY) manage.py i18n update --area $(or $(AREA),core)
	DEBUG=true $(PY) manage.py i18n check

clean:
	rm -rf $(VENV) staticfiles .coverage
