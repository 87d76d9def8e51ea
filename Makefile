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

# Production-like without Docker: gunicorn, a Celery worker and beat (Procfile, via honcho) on an existing
# PostgreSQL and Redis. Needs DATABASE_URL, REDIS_URL, SECRET_KEY and ALLOWED_HOSTS in the environment or in .env.
serve: $(VENV)/.installed compilemessages
	@test -n "$$DATABASE_URL$$(grep -s '^DATABASE_URL=' .env)" || { echo "make serve: set DATABASE_URL (e.g. postgres://okrplan:secret@127.0.0.1:5432/okrplan)" >&2; exit 2; }
	@test -n "$$REDIS_URL$$(grep -s '^REDIS_URL=' .env)" || { echo "make serve: set REDIS_URL (e.g. redis://127.0.0.1:6379/0)" >&2; exit 2; }
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py ensure_admin
	@echo "okrplan: http://$(HOST)/ (health: http://$(HOST)/healthz)"
	PATH="$(CURDIR)/$(BIN):$$PATH" GUNICORN_BIND=$(HOST) $(BIN)/honcho start

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
