# Friends: `make run` starts everything on a fresh machine, `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: run worker test writes lint e2e slow fuzz bench demo migrations clean messages

$(VENV)/.runtime: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

run: $(VENV)/.runtime
	$(PY) scripts/run.py

worker: $(VENV)/.runtime
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(PY) manage.py rqworker default email media --with-scheduler

test: lint
	$(PY) -m pytest -m "not e2e and not slow" $(PYTEST_ARGS)

# Every page, API and admin write with real transactions (as production's autocommit), and
# text the database cannot store; part of `make test` too. CI runs it on PostgreSQL.
writes: $(VENV)/.dev
	$(PY) -m pytest friends_site/tests/test_write_paths*.py friends_site/tests/test_unstorable_text.py $(PYTEST_ARGS)

# ruff, and the import-linter contract: apps import downwards only (pyproject.toml).
lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

e2e: $(VENV)/.dev
	@test -x /usr/bin/chromium || { echo "make e2e needs Debian's chromium: apt-get install chromium"; exit 1; }
	$(PY) -m pytest -m e2e $(PYTEST_ARGS)

slow: $(VENV)/.dev
	$(PY) -m pytest -m slow $(PYTEST_ARGS)

# Schemathesis over the live schema, every check, a fixed seed (scripts/fuzz.py): gunicorn on
# PostgreSQL (FUZZ_DATABASE_URL, made anew) with a worker.
# FUZZ_ARGS="--max-examples 25" for a quicker run.
FUZZ_ARGS ?=
fuzz: $(VENV)/.dev
	$(PY) scripts/fuzz.py $(FUZZ_ARGS)

bench: $(VENV)/.dev
	$(PY) scripts/bench.py

# Two hosts (own directories, temp folders, gunicorn and RQ worker each) sharing PostgreSQL
# (MULTIHOST_DATABASE_URL, default database friends_multihost, made anew), Redis database 8 of
# 127.0.0.1:6379 (MULTIHOST_REDIS_URL, flushed) and a local S3 (moto): a photo uploaded through
# A (multipart and presigned) is processed by B, served from S3 through both, its original
# private; one sweep per interval across the hosts (scripts/multihost.py, about a minute).
.PHONY: multihost
multihost: $(VENV)/.dev
	$(PY) scripts/multihost.py

# Locust headless, 50 people for 60 s against gunicorn (4 workers) and two RQ workers on
# PostgreSQL (LOAD_DATABASE_URL, default database friends_load, made anew; Redis database 9 of
# REDIS_URL's server): figures per endpoint, then zero errors, p95 < 500 ms and nothing lost
# (scripts/load.py). LOAD_ARGS="--users 10 --duration 20" for a quicker run.
.PHONY: load
LOAD_ARGS ?=
load: $(VENV)/.dev
	$(PY) scripts/load.py $(LOAD_ARGS)

# Five faults against gunicorn (2 workers) and two RQ workers with production settings, each
# dependency its own (scripts/faults.py, about 1.5 min): Redis killed and restarted amid
# sign-ups and uploads, PostgreSQL (database friends_faults on 127.0.0.1:5432, made anew) cut
# for 20 s by a proxy, jobs delivered twice, S3 (moto) answering 503 for 12 s, the temporary
# upload folder's disk full (a 1 MB tmpfs: needs root, else skipped). One line per fault.
.PHONY: faults
faults: $(VENV)/.dev
	$(PY) scripts/faults.py

# The catalogs of locale/ from the code (makemessages needs GNU gettext's xgettext), then the
# .mo files, compiled in pure Python (core/management/commands/compilemessages.py): committed.
messages: $(VENV)/.dev
	DJANGO_DEBUG=1 $(PY) manage.py makemessages -l ko -l en --add-location=file \
		--ignore='.venv/*' --ignore='var/*' --ignore='*/tests/*' --ignore='e2e/*' --ignore='scripts/*'
	DJANGO_DEBUG=1 $(PY) manage.py compilemessages --fill-english

demo: $(VENV)/.runtime
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(PY) manage.py migrate --no-input
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(PY) manage.py seed_demo --users 200

# Until the first release, models change freely: this rebuilds the initial migrations.
migrations: $(VENV)/.runtime
	rm -f core/migrations/0*.py accounts/migrations/0*.py media/migrations/0*.py posts/migrations/0*.py
	DJANGO_DEBUG=1 $(PY) manage.py makemigrations core accounts media posts

clean:
	rm -rf var/test-db-*.sqlite3 var/test-redis
