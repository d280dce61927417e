# «Семья рядом» — every target sets up what it needs; `make run` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PO     := $(wildcard locales/*/LC_MESSAGES/messages.po)
MO     := $(PO:.po=.mo)

.PHONY: run sandbox test lint typecheck unit i18n bench bench-stats migrate clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11+ is required"; exit 1; }
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

locales/%/LC_MESSAGES/messages.mo: locales/%/LC_MESSAGES/messages.po $(STAMP)
	$(BIN)/pybabel compile -d locales -D messages -l $*

run: $(STAMP) $(MO)
	$(BIN)/python -m bot migrate
	$(BIN)/python -m bot run

sandbox: $(STAMP) $(MO)
	$(BIN)/python -m bot migrate
	$(BIN)/python -m bot sandbox

migrate: $(STAMP)
	$(BIN)/python -m bot migrate

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy bot db sandbox

test: $(STAMP) $(MO)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy bot db sandbox
	$(BIN)/python -m bot.catalogs check
	$(BIN)/python -m pytest

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
