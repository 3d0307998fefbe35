# Two commands do everything on a fresh Debian machine with Python 3.11:
#   make run   - create .venv, install, migrate, load demo data, serve http://127.0.0.1:8000
#                in demo mode (DJANGO_DEBUG=1: the SMS outbox page, no HTTPS)
#   make test  - the whole suite, browser tests included
# Everything else (manage.py, gunicorn, Celery, pytest) starts with DJANGO_DEBUG off.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
CHROMIUM := /usr/bin/chromium

.PHONY: test-s3 run test lint venv chromium poppler deploy-tools services cluster-up cluster-down migrate demo clean

$(VENV)/.installed: requirements.txt requirements-dev.txt constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt -c constraints.txt
	touch $@

venv: $(VENV)/.installed

migrate: venv
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py load_demo

# The demo switches itself on, for run and the commands it runs first. Links in SMS and
# e-mails point where this server listens, unless KABINET_PUBLIC_URL says otherwise. Passkeys
# need a domain, not an address: they work when the site is opened as http://localhost:$(PORT).
run: export DJANGO_DEBUG = 1
run: export KABINET_PUBLIC_URL ?= http://127.0.0.1:$(PORT)
run: export KABINET_WEBAUTHN_ORIGINS ?= http://localhost:$(PORT)
run: demo
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

# Browser tests drive Debian's Chromium; install it when missing. Without apt (not Debian,
# not root) the e2e tests are skipped with a loud message from tests/e2e/conftest.py.
chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  elif command -v apt-get >/dev/null 2>&1 && command -v sudo >/dev/null 2>&1; then \
	    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else \
	    echo "!!! $(CHROMIUM) is missing and apt is unavailable: browser tests will be SKIPPED !!!"; \
	  fi; \
	fi

# The deploy tests (tests/deploy) run Debian's nginx, openssl, systemd-analyze, PostgreSQL, Redis
# and RabbitMQ; deploy/local-cluster.sh installs whichever is missing. Without apt or root they
# are skipped with a loud message from tests/deploy/conftest.py.
deploy-tools:
	@deploy/local-cluster.sh install || echo "!!! Debian packages for deploy/ not installed: deploy tests will be SKIPPED !!!"

# PostgreSQL, Redis and RabbitMQ of this machine, started when installed but down: the tests that
# talk to them (live_redis, live_rabbitmq) are skipped loudly without them (failed under CI).
services: deploy-tools
	@deploy/local-cluster.sh services || echo "!!! PostgreSQL, Redis or RabbitMQ not started: tests needing them will be SKIPPED !!!"

# Kabinet as production runs it, on loopback: https://127.0.0.1:8443 (docs/production.md).
cluster-up: venv
	deploy/local-cluster.sh up

cluster-down:
	deploy/local-cluster.sh down

# The bill tests print the PDF with poppler's pdftoppm and read its QR code from the picture.
poppler:
	@if ! command -v pdftoppm >/dev/null 2>&1; then \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils; \
	  elif command -v apt-get >/dev/null 2>&1 && command -v sudo >/dev/null 2>&1; then \
	    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils; \
	  else \
	    echo "!!! pdftoppm is missing and apt is unavailable: install poppler-utils, or the bill QR tests FAIL !!!"; \
	  fi; \
	fi

test: venv chromium poppler deploy-tools services
	$(PY) -m ruff check .
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest $(PYTEST_ARGS)

# The suites that store or serve files, with both storages on a fresh bucket of a local S3
# server (moto) per test: nothing may reach a file by path (docs/production.md, shared storage).
S3_SUITES = tests/appeals tests/portal/test_appeals.py tests/portal/test_bills.py tests/backoffice \
	tests/billing/test_bills.py tests/billing/test_bill_jobs.py tests/billing/test_bill_delivery.py \
	tests/notifications tests/api/test_appeals.py tests/api/test_bills.py tests/exchange
test-s3: venv services
	KABINET_TEST_S3=1 $(PY) -m pytest $(S3_SUITES) $(PYTEST_ARGS)

lint: venv
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

clean:
	rm -rf $(VENV) data
