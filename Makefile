# make run: set up everything and serve the app on SQLite.  make test: run the whole suite.
# make serve: production mode (gunicorn, DEBUG off, settings from the environment; see the README), beside
# one or more `manage.py db_worker` for the background jobs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: run serve test lint load install clean messages

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	scripts/cjk-font
	DEBUG=1 $(BIN)/python manage.py migrate --noinput
	DEBUG=1 $(BIN)/python manage.py seed --demo 200 --demo-once
	DEBUG=1 $(BIN)/python manage.py demo_accounts
	@echo "打开 http://127.0.0.1:$(PORT)/ 用上面的演示账户登录"
	@# One background worker beside the server (exports past their threshold, batch imports); both stop together.
	trap 'kill 0' EXIT; \
	DEBUG=1 $(BIN)/python manage.py db_worker --no-reload --interval 1 & \
	DEBUG=1 $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

serve: $(STAMP)
	@test -n "$$SECRET_KEY" || { echo "SECRET_KEY 未设置：生产模式需要 SECRET_KEY、ALLOWED_HOSTS 和 DATABASE_URL（见 README）。"; exit 1; }
	scripts/cjk-font
	$(BIN)/python manage.py check --deploy --fail-level ERROR
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	@# Background jobs need a worker: run `nice -n 10 $(BIN)/python manage.py db_worker --no-reload` beside
	@# gunicorn, one per host or more (README, "Background jobs"); this target serves the web requests only.
	$(BIN)/gunicorn --config gunicorn.conf.py

test: $(STAMP)
	$(BIN)/pytest

# The load test (tests/load/run.py): two gunicorn instances and a job worker over a local PostgreSQL, driven by locust for 120 s.
load: $(STAMP)
	$(BIN)/pip install --quiet '.[load]'
	$(BIN)/python tests/load/run.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache .ruff_cache

# After changing user-facing text: refresh the English catalogue, translate the new entries in
# locale/en/LC_MESSAGES/django.po, then compile it (needs GNU gettext: apt-get install gettext).
messages: $(STAMP)
	DEBUG=1 $(BIN)/python manage.py makemessages -l en --ignore=.venv --ignore=tests --no-obsolete
	DEBUG=1 $(BIN)/python manage.py compilemessages -l en --ignore=.venv
