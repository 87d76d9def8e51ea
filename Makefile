# okrplan — `make run` serves the demo, `make test` runs every check. Needs python3 (3.11+) with pip, and node with npm.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
HOST   ?= 127.0.0.1:8000

.PHONY: run test serve bench lint format messages compilemessages clean vendor workshop-10

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@ $(VENV)/.installed

# Third-party browser files come from npm (package-lock.json): `npm ci`, then the few dist files into static/vendor/
# (gitignored), and plotly.js as a partial bundle of the trace types our figures use (frontend/plotly-bundle.js,
# built by esbuild from the plotly.js package: 1.3 MB instead of 4.8 MB) — `npm run vendor` (package.json), which the
# Dockerfile runs too. Re-run when the lockfile changes.
VENDOR := static/vendor
$(VENDOR)/.installed: package.json package-lock.json frontend/plotly-bundle.js
	npm ci --no-audit --no-fund --loglevel=error
	npm run --silent vendor
	touch $@

vendor: $(VENDOR)/.installed

compilemessages: $(VENV)/.installed
	DEBUG=true $(PY) manage.py i18n compile > /dev/null

run: $(VENV)/.installed compilemessages vendor
	DEBUG=true $(PY) manage.py migrate --noinput
	DEBUG=true $(PY) manage.py load_demo
	@echo "okrplan: http://$(HOST)/"
	DEBUG=true $(PY) manage.py runserver $(HOST)

test: $(VENV)/.installed-dev compilemessages vendor
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	DEBUG=true $(PY) manage.py check
	DEBUG=true $(PY) manage.py makemigrations --check --dry-run
	$(BIN)/pytest --cov --cov-report=term:skip-covered

# The workshop keyboard build, 10 repetitions of each of its five network conditions (CI runs each once, in make
# test). Prints one line per run: rows, differences, stray rows, seconds.
workshop-10: $(VENV)/.installed-dev compilemessages vendor
	OKRPLAN_WORKSHOP_REPEAT=10 $(BIN)/pytest -q -s -p no:cacheprovider tests/browser/test_cascade_workshop.py -k test_build_five

# Production-like without Docker: gunicorn, a Celery worker and beat (Procfile, via honcho) on an existing
# PostgreSQL and Redis. Needs DATABASE_URL, REDIS_URL, SECRET_KEY and ALLOWED_HOSTS in the environment or in .env.
serve: $(VENV)/.installed compilemessages vendor
	@test -n "$$DATABASE_URL$$(grep -s '^DATABASE_URL=' .env)" || { echo "make serve: set DATABASE_URL (e.g. postgres://okrplan:secret@127.0.0.1:5432/okrplan)" >&2; exit 2; }
	@test -n "$$REDIS_URL$$(grep -s '^REDIS_URL=' .env)" || { echo "make serve: set REDIS_URL (e.g. redis://127.0.0.1:6379/0)" >&2; exit 2; }
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py ensure_admin
	@echo "okrplan: http://$(HOST)/ (health: http://$(HOST)/healthz)"
	PATH="$(CURDIR)/$(BIN):$$PATH" GUNICORN_BIND=$(HOST) $(BIN)/honcho start

# Scale and speed (issue 7), not part of `make test`: generates (once) and reuses a large company in a PostgreSQL
# database, runs the four scenarios with their floors, prints a table and writes bench/results/<date>.json.
# `make bench BENCH_SCALE=small` is the quick run (~6 minutes); BENCH_ONLY=kpi,import,import_related,cascade,load,poll,browser,lighthouse
# picks scenarios (load: 32 users against the /healthz floor, then 200 users with think time; poll: 40 participants
# polling while a facilitator edits; browser: LCP and bytes in Debian's Chromium; lighthouse: Lighthouse 12 from npm
# with Debian's Chromium, performance score and LCP of board, budgets and the 500-objective cascade).
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/okrplan_bench
# The rendered fragments and data versions (core.versions) live in Redis, shared by the gunicorn workers as in
# production; without REDIS_URL each worker would keep its own local-memory cache.
BENCH_REDIS_URL ?= redis://127.0.0.1:6379/0
BENCH_SCALE ?= full
BENCH_ONLY ?= kpi,import,import_related,cascade,load,poll,browser,lighthouse

$(VENV)/.installed-bench: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ".[bench]"
	touch $@

bench: $(VENV)/.installed-bench compilemessages vendor
	@createdb -h 127.0.0.1 -U postgres $(notdir $(BENCH_DATABASE_URL)) 2>/dev/null || true
	DATABASE_URL=$(BENCH_DATABASE_URL) REDIS_URL=$(BENCH_REDIS_URL) CELERY_QUEUE=okrplan_bench DEBUG=false SECRET_KEY=bench-only-secret-key-not-for-production-0123456789 \
	ALLOWED_HOSTS=127.0.0.1,testserver SECURE_SSL_REDIRECT=false LOG_LEVEL=WARNING \
	$(PY) -m bench.run --scale $(BENCH_SCALE) --only $(BENCH_ONLY)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# After adding strings: make messages AREA=<app>, then fill the German in locale/<app>/de/LC_MESSAGES/django.po
messages: $(VENV)/.installed
	DEBUG=true $(PY) manage.py i18n update --area $(or $(AREA),core)
	DEBUG=true $(PY) manage.py i18n check

clean:
	rm -rf $(VENV) staticfiles .coverage node_modules $(VENDOR)
