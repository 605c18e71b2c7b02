# Two commands for a newcomer: `make run` and `make test`. Everything else is set up on the way.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export BEWIJSKETEN_TEST_SERVER_URL ?= postgresql://postgres@127.0.0.1:5432

.PHONY: run test lint typecheck pytest compose-check pdf-libs demo bench clean

$(STAMP): pyproject.toml | pdf-libs
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

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

run: $(STAMP)
	$(BIN)/bewijsketen serve --demo

demo: $(STAMP)
	$(BIN)/bewijsketen demo

lint: $(STAMP)
	$(BIN)/ruff check domain projections api bench tests
	$(BIN)/ruff format --check domain projections api bench tests

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest -q

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
