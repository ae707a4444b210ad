# The two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help venv test lint format migrate sync check run demo bench bench-bot bench-webhooks bench-lists messages clean

help:
	@echo "make demo   - the whole service offline: emulated Notion and Telegram, chat console"
	@echo "make test   - lint and the whole test suite (DATABASE_URL picks the database)"
	@echo "make run    - the real service from .env (admin, worker, bot)"
	@echo "make bench  - sync benchmarks (PostgreSQL), see docs/PERFORMANCE.md"

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP)

test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

migrate: $(STAMP)
	$(PY) manage.py migrate

check: $(STAMP)
	$(PY) manage.py notion_check

# Offline demo: emulated Notion and Telegram, the real bot, worker and admin (scripts/demo.py).
DEMO_PORT ?= 8000
demo: $(STAMP)
	$(PY) scripts/demo.py --port $(DEMO_PORT) $(DEMO_ARGS)

# The real service from .env, per the Procfile (scripts/run.py): web, worker, bot.
run: $(STAMP)
	@$(PY) scripts/run.py $(RUN_ARGS)

bench: $(STAMP)
	$(PY) -m bench.sync_bench $(BENCH_ARGS)

# Notion webhooks: event received -> database updated, and requests per event in a burst.
bench-webhooks: $(STAMP)
	$(PY) -m bench.webhook_bench $(BENCH_ARGS)

# Lists: a 2,000-row sheet (BENCH_DATABASE_URL=postgres://… for PostgreSQL; SQLite otherwise).
bench-lists: $(STAMP)
	$(PY) -m bench.lists_bench $(BENCH_ARGS)

# Refresh locale/*/django.po from the code, then compile the .mo files (committed, so
# running the service never needs gettext). Needs GNU gettext: apt-get install gettext.
messages: $(STAMP)
	$(PY) manage.py makemessages -l ru -l en --ignore=.venv --ignore=var --ignore=staticfiles --ignore=sandbox --ignore=tests --ignore=bench
	$(PY) manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) var
