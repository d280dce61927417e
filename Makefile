# «Семья рядом» — every target sets up what it needs; `make run` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PO     := $(wildcard locales/*/LC_MESSAGES/messages.po)
MO     := $(PO:.po=.mo)

.PHONY: run sandbox test lint typecheck unit i18n bench bench-stats migrate clean chromium postgresql redis

# Set-up is quiet, so that the first line `make run` prints without a token is the sandbox's
# web address.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11+ is required"; exit 1; }
	@test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

locales/%/LC_MESSAGES/messages.mo: locales/%/LC_MESSAGES/messages.po $(STAMP)
	@$(BIN)/pybabel --quiet compile -d locales -D messages -l $*

# Without BOT_TOKEN (in the environment or .env) `bot run` starts the sandbox, which keeps its
# own database (SANDBOX_DATABASE_URL) and migrates it itself.
run: $(STAMP) $(MO)
	@$(BIN)/python -m bot run --migrate

sandbox: $(STAMP) $(MO)
	@$(BIN)/python -m bot sandbox

# The browser test drives Debian's Chromium (a browser download from elsewhere is not
# possible here); CI runs as root and installs it when it is missing.
chromium:
	@test -x /usr/bin/chromium || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

# The suite runs a second time on a real PostgreSQL that the tests start themselves from
# Debian's packages (tests/servers.py); CI runs as root and installs them when missing.
postgresql:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; }

# The several-instances test shares conversations through a real redis-server it starts.
redis:
	@command -v redis-server >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server; }

migrate: $(STAMP)
	$(BIN)/python -m bot migrate

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy bot db sandbox

# Most tests wait (for a bot process, a long poll, a rate limit) rather than compute: four
# workers on two cores. The PostgreSQL pass runs the tests that touch a database.
test: $(STAMP) $(MO) chromium postgresql redis
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy bot db sandbox
	$(BIN)/python -m bot.catalogs check
	$(BIN)/python -m pytest -n 4 --dist worksteal
	TEST_DATABASE=postgresql $(BIN)/python -m pytest -n 4 --dist worksteal

i18n: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k __ --no-location --sort-output \
		--project=semya-ryadom -o locales/messages.pot .
	$(BIN)/pybabel update -i locales/messages.pot -d locales -D messages --no-fuzzy-matching --ignore-obsolete
	$(BIN)/python -m bot.catalogs fill-source
	$(MAKE) $(MO)
	-$(BIN)/python -m bot.catalogs check

bench: $(STAMP) $(MO)
	$(BIN)/python bench/updates.py

bench-stats: $(STAMP)
	$(BIN)/python bench/stats.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache $(MO)
