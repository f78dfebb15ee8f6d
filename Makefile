# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

HOST ?= 0.0.0.0
PORT ?= 8000

.PHONY: install run migrate demo-data test lint bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "jointuse needs Python 3.11 or newer")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,bench]"
	touch $(STAMP)

install: $(STAMP)

migrate: $(STAMP)
	$(BIN)/jointuse migrate

demo-data: $(STAMP)
	$(BIN)/jointuse demo-data

run: $(STAMP)
	$(BIN)/jointuse migrate
	$(BIN)/jointuse demo-data --if-empty
	$(BIN)/jointuse serve --host $(HOST) --port $(PORT)

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Ruff over all the Python here; mypy, strict, over app/ (both set in pyproject.toml).
lint: $(STAMP)
	$(BIN)/python -m ruff check app tests bench migrations
	$(BIN)/python -m mypy

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
