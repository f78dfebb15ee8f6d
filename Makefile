# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

HOST ?= 0.0.0.0
PORT ?= 8000

.PHONY: install run migrate demo-data test test-dates lint fuzz bench bench-webhooks clean

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

# Ruff over all the Python here; mypy, strict, over app/ and examples/ (pyproject.toml).
lint: $(STAMP)
	$(BIN)/python -m ruff check app tests bench migrations examples
	$(BIN)/python -m mypy

# The instants `make test-dates` runs the date-sensitive tests (marker `dates`) on, one
# run each (tests/clock.py): Monday to Sunday of an ordinary week; a Wednesday two
# weeks before the spring change (the tests' booking week then ends on it); the eve
# and the day of the spring change; the fall-back Sunday inside its repeated hour;
# New Year's Eve half an hour before midnight (UTC is already in the new year).
TEST_DATES ?= \
	2027-02-01T10:00:00-08:00 2027-02-02T10:00:00-08:00 2027-02-03T10:00:00-08:00 \
	2027-02-04T10:00:00-08:00 2027-02-05T10:00:00-08:00 2027-02-06T10:00:00-08:00 \
	2027-02-07T10:00:00-08:00 \
	2027-02-24T10:00:00-08:00 \
	2027-03-13T23:30:00-08:00 2027-03-14T10:00:00-07:00 \
	2026-11-01T01:30:00-07:00 \
	2026-12-31T23:30:00-08:00

# Every date is run even after a failure, so one CI log names all the days that fail.
test-dates: $(STAMP)
	@failed=""; for now in $(TEST_DATES); do \
		echo "== JOINTUSE_TEST_NOW=$$now"; started=$$(date +%s); \
		JOINTUSE_TEST_NOW=$$now $(BIN)/python -m pytest -q -m "dates and not slow" $(PYTEST_ARGS) \
			|| failed="$$failed $$now"; \
		echo "== $$now: $$(( $$(date +%s) - started )) s"; \
	done; \
	if [ -n "$$failed" ]; then echo "date-sensitive tests failed on:$$failed"; exit 1; fi

# schemathesis, every check and phase, over the whole API on both databases for a long
# while (docs/fuzzing.md); `make test` runs the same test bounded. A new seed each run
# (printed); `make fuzz FUZZ_SEED=...` repeats one.
FUZZ_EXAMPLES ?= 200
FUZZ_STEPS ?= 50
FUZZ_SEED ?= $(shell date +%s)

fuzz: $(STAMP)
	JOINTUSE_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) JOINTUSE_FUZZ_STEPS=$(FUZZ_STEPS) \
		JOINTUSE_FUZZ_SEED=$(FUZZ_SEED) $(BIN)/python -m pytest tests/fuzz -s $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m bench

# Webhook deliveries per second by the worker's code to a local receiver (issue 12).
bench-webhooks: $(STAMP)
	$(BIN)/python -m bench.webhooks

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
