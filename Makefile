# make run: set up everything and serve the app on SQLite.  make test: run the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: run test lint install clean messages

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	DEBUG=1 $(BIN)/python manage.py migrate --noinput
	DEBUG=1 $(BIN)/python manage.py seed --demo 200 --demo-once
	DEBUG=1 $(BIN)/python manage.py demo_accounts
	@echo "打开 http://127.0.0.1:$(PORT)/ 用上面的演示账户登录"
	DEBUG=1 $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: $(STAMP)
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache .ruff_cache

# After changing user-facing text: refresh the English catalogue, translate the new entries in
# locale/en/LC_MESSAGES/django.po, then compile it (needs GNU gettext: apt-get install gettext).
messages: $(STAMP)
	DEBUG=1 $(BIN)/python manage.py makemessages -l en --ignore=.venv --ignore=tests --no-obsolete
	DEBUG=1 $(BIN)/python manage.py compilemessages -l en --ignore=.venv
