# Two commands for a newcomer: `make run` and `make test`. Everything else is set up on the way.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export BEWIJSKETEN_TEST_SERVER_URL ?= postgresql://postgres@127.0.0.1:5432

.PHONY: run test lint typecheck pytest compose-check test-tools demo bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/bewijsketen serve --demo

demo: $(STAMP)
	$(BIN)/bewijsketen demo

lint: $(STAMP)
	$(BIN)/ruff check domain projections api bench tests
	$(BIN)/ruff format --check domain projections api bench tests

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP) test-tools
	$(BIN)/pytest -q

# The audit tests check the log with standard tools: Go's signed-note and tlog packages
# (Debian's golang-golang-x-mod-dev) and `openssl ts` as a local time-stamping authority.
TEST_TOOLS := golang-go golang-golang-x-mod-dev openssl
test-tools:
	@if ! { command -v go && command -v openssl && test -d /usr/share/gocode/src/golang.org/x/mod/sumdb; } >/dev/null 2>&1 \
		&& [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		apt-get install -y -qq $(TEST_TOOLS) >/dev/null 2>&1 || \
		(apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq $(TEST_TOOLS) >/dev/null 2>&1) || true; \
	fi

# docker-compose.yml must parse; Debian's docker-compose (v1) does so without a Docker engine.
compose-check:
	@if ! command -v docker-compose >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		apt-get install -y -qq docker-compose >/dev/null 2>&1 || \
		(apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq docker-compose >/dev/null 2>&1) || true; \
	fi
	@if command -v docker-compose >/dev/null 2>&1; then \
		docker-compose config -q && echo "docker-compose.yml: valid"; \
	else echo "docker-compose is not installed here: docker-compose.yml not validated"; fi

test: lint typecheck compose-check pytest

bench: $(STAMP)
	$(BIN)/python -m bench.commands

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis
