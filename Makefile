# Two commands for a newcomer: `make run` and `make test`. Everything else is set up on the way.
# Both install from the lock files in requirements/ (hashes checked): `make run` the runtime
# only, `make test` the test tools too. `make lock` re-resolves them (see requirements/README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
LOCKS := requirements
STAMP := $(VENV)/.installed
RUN_STAMP := $(VENV)/.installed-run
UV_STAMP := $(VENV)/.installed-uv
export BEWIJSKETEN_TEST_SERVER_URL ?= postgresql://postgres@127.0.0.1:5432
# uv works on the venv made here with the interpreter given, and never fetches a Python.
export UV_PYTHON_DOWNLOADS := never
# `make lock` takes the newest releases published before this moment, so that running it again
# gives the same files; move it forward to take newer releases.
LOCK_DATE := 2026-12-01T00:00:00Z
COMPILE = $(UV) pip compile --quiet --universal --python-version 3.11 --generate-hashes \
	--exclude-newer $(LOCK_DATE) --custom-compile-command "make lock"

NODE_STAMP := node_modules/.installed

.PHONY: run test lint typecheck pytest compose-check contract test-tools pdf-libs browser demo bench lock clean

$(UV_STAMP): $(LOCKS)/uv.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r $(LOCKS)/uv.txt
	touch $@

# The project itself goes in editable, after the locked install and without dependencies of
# its own choosing; its build backend comes from the lock (no build isolation).
$(RUN_STAMP): $(LOCKS)/run.txt pyproject.toml $(UV_STAMP) | pdf-libs
	$(UV) pip install --quiet --python $(BIN)/python --require-hashes -r $(LOCKS)/run.txt
	$(UV) pip install --quiet --python $(BIN)/python --no-deps --no-build-isolation -e .
	touch $@

$(STAMP): $(LOCKS)/test.txt pyproject.toml $(UV_STAMP) | pdf-libs
	$(UV) pip sync --quiet --python $(BIN)/python --require-hashes $(LOCKS)/test.txt
	$(UV) pip install --quiet --python $(BIN)/python --no-deps --no-build-isolation -e .
	touch $@ $(RUN_STAMP)

# WeasyPrint (the PDF reports) needs Pango and a font from the system: Debian's packages,
# installed when missing (as root), else named.
PDF_LIBS := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core
pdf-libs:
	@if ! ldconfig -p 2>/dev/null | grep -q libpangoft2-1.0.so.0 || \
		[ ! -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			apt-get install -y -qq $(PDF_LIBS) >/dev/null 2>&1 || \
			(apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq $(PDF_LIBS) >/dev/null 2>&1) || \
			echo "could not install $(PDF_LIBS): PDF reports need them"; \
		else echo "PDF reports need Pango: sudo apt-get install $(PDF_LIBS)"; fi; \
	fi

lock: $(UV_STAMP)
	$(COMPILE) pyproject.toml --extra dev $(LOCKS)/build.in -o $(LOCKS)/test.txt
	$(COMPILE) pyproject.toml $(LOCKS)/build.in -c $(LOCKS)/test.txt -o $(LOCKS)/run.txt
	$(COMPILE) $(LOCKS)/uv.in -o $(LOCKS)/uv.txt

run: $(RUN_STAMP)
	$(BIN)/bewijsketen serve --demo

demo: $(RUN_STAMP)
	$(BIN)/bewijsketen demo

lint: $(STAMP)
	$(BIN)/ruff check domain projections api bench tests
	$(BIN)/ruff format --check domain projections api bench tests

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP) test-tools browser
	$(BIN)/pytest -q

# The contract checker (Spectral) from the npm registry, exactly as package-lock.json pins it.
$(NODE_STAMP): package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	touch $@

# The API document passes Spectral's OpenAPI rules (.spectral.yaml): no error, no warning.
contract: $(STAMP) $(NODE_STAMP)
	mkdir -p var
	$(BIN)/python -m api.openapi var/openapi.json
	node_modules/.bin/spectral lint var/openapi.json --ruleset .spectral.yaml --fail-severity=warn

# The audit tests check the log with standard tools: Go's signed-note and tlog packages
# (Debian's golang-golang-x-mod-dev) and `openssl ts` as a local time-stamping authority.
TEST_TOOLS := golang-go golang-golang-x-mod-dev openssl
test-tools:
	@if ! { command -v go && command -v openssl && test -d /usr/share/gocode/src/golang.org/x/mod/sumdb; } >/dev/null 2>&1 \
		&& [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		apt-get install -y -qq $(TEST_TOOLS) >/dev/null 2>&1 || \
		(apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq $(TEST_TOOLS) >/dev/null 2>&1) || true; \
	fi

# The browser tests drive Debian's Chromium through Playwright (Playwright's own browser
# download is not used); installed here when missing and when we may.
browser:
	@if [ ! -x /usr/bin/chromium ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		apt-get install -y -qq chromium >/dev/null 2>&1 || \
		(apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq chromium >/dev/null 2>&1) || true; \
	fi
	@test -x /usr/bin/chromium || echo "chromium is not installed (apt-get install chromium): the browser tests will fail"

# docker-compose.yml must parse; Debian's docker-compose (v1) does so without a Docker engine.
compose-check:
	@if ! command -v docker-compose >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		apt-get install -y -qq docker-compose >/dev/null 2>&1 || \
		(apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq docker-compose >/dev/null 2>&1) || true; \
	fi
	@if command -v docker-compose >/dev/null 2>&1; then \
		docker-compose config -q && echo "docker-compose.yml: valid"; \
	else echo "docker-compose is not installed here: docker-compose.yml not validated"; fi

test: lint typecheck compose-check contract pytest

bench: $(STAMP)
	$(BIN)/python -m bench.commands

clean:
	rm -rf $(VENV) var node_modules .pytest_cache .mypy_cache .ruff_cache .hypothesis
