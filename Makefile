# The two commands a newcomer needs: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PYTHON := $(BIN)/python
PORT ?= 8000

.PHONY: run test setup setup-test lint check-deploy bench loadtest worker clean

$(BIN)/activate:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# Reinstall only when the requirements change, so a second `make run` is fast.
$(VENV)/.installed: requirements.txt | $(BIN)/activate
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt requirements.txt $(VENV)/.installed
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

setup:
	@scripts/system-packages.sh
	@$(MAKE) --no-print-directory $(VENV)/.installed

setup-test:
	@scripts/system-packages.sh test
	@$(MAKE) --no-print-directory $(VENV)/.installed-dev

## Start the app with demo data on http://127.0.0.1:$(PORT)
run: setup
	$(PYTHON) manage.py migrate --noinput
	$(PYTHON) manage.py load_demo
	@echo "打开 http://127.0.0.1:$(PORT)/ 并用上面的演示账号登录"
	$(PYTHON) manage.py runserver 127.0.0.1:$(PORT)

## Run the whole test suite (SQLite; PostgreSQL/Redis when DATABASE_URL/CELERY_BROKER_URL are set)
test: setup-test
	DJANGO_ALLOW_ASYNC_UNSAFE=true $(BIN)/pytest $(PYTEST_ARGS)

lint: setup-test
	$(BIN)/ruff check .
	$(PYTHON) manage.py makemigrations --check --dry-run

## `manage.py check --deploy` under production settings
check-deploy: setup
	KANJIA_ENV=production SECRET_KEY=$$($(PYTHON) -c 'import secrets;print(secrets.token_urlsafe(50))') \
	ALLOWED_HOSTS=dibao.example.gov.cn $(PYTHON) manage.py check --deploy --fail-level WARNING

bench: setup-test
	$(PYTHON) -m bench $(BENCH_ARGS)

## Load test (not in `make test` nor .ci/run): Locust, headless, against gunicorn with production settings
## (HTTPS=false, 127.0.0.1) on its own PostgreSQL database; adds its figures to docs/benchmarks.md.
HOUSEHOLDS ?= 100000
USERS ?= 10
DURATION ?= 5m
THINK ?= 1-5
WORKERS ?= 3
SEED ?= 2021
LOADTEST_PORT ?= 8077
LOADTEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/kanjia_load
LOADTEST_BROKER_URL ?= redis://127.0.0.1:6379/13
LOADTEST_VENV := .venv-loadtest

# Locust in its own venv: its dependencies (gevent, Flask, requests) never meet the app's pins.
$(LOADTEST_VENV)/.installed: requirements-loadtest.txt
	$(PY) -m venv $(LOADTEST_VENV)
	$(LOADTEST_VENV)/bin/pip install -q -r requirements-loadtest.txt
	touch $@

loadtest: setup $(LOADTEST_VENV)/.installed
	$(PYTHON) -m bench.loadtest --households $(HOUSEHOLDS) --users $(USERS) --duration $(DURATION) \
	  --think $(THINK) --workers $(WORKERS) --seed $(SEED) --port $(LOADTEST_PORT) \
	  --database-url $(LOADTEST_DATABASE_URL) --broker-url $(LOADTEST_BROKER_URL) \
	  --locust $(LOADTEST_VENV)/bin/locust --note "$(NOTE)" $(LOADTEST_ARGS)

worker: setup
	$(BIN)/celery -A kanjia worker -l info

clean:
	rm -rf $(VENV) $(LOADTEST_VENV) staticfiles test-results
