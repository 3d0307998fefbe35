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

.PHONY: run test lint venv chromium deploy-tools cluster-up cluster-down migrate demo clean

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
# e-mails point where this server listens, unless KABINET_PUBLIC_URL says otherwise.
run: export DJANGO_DEBUG = 1
run: export KABINET_PUBLIC_URL ?= http://127.0.0.1:$(PORT)
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

# Kabinet as production runs it, on loopback: https://127.0.0.1:8443 (docs/production.md).
cluster-up: venv
	deploy/local-cluster.sh up

cluster-down:
	deploy/local-cluster.sh down

test: venv chromium deploy-tools
	$(PY) -m ruff check .
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest $(PYTEST_ARGS)

lint: venv
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

clean:
	rm -rf $(VENV) data
