# Reading List: set-up, run, test, benchmark, screenshots and packages.
# `make run` and `make test` work on a fresh Debian machine with only Python.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed
# Debian packages the tests and screenshots need (Qt's xcb plugin, Xvfb, real bibtex,
# pdflatex with natbib, hyperref and url for the export-safety compile tests, and
# biber, whose --validate-datamodel checks the BibLaTeX export).
APT_PACKAGES := xvfb libxcb-cursor0 libxkbcommon-x11-0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 \
	libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 libegl1 libgl1 libfontconfig1 \
	libdbus-1-3 fonts-dejavu-core texlive-binaries texlive-base texlive-latex-base biber imagemagick

.PHONY: run test lint typecheck unit bench fuzz screenshots system-deps package clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# Installs Debian packages when they are missing and we may (root or sudo).
system-deps:
	@missing=""; for p in $(APT_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null; then SUDO=sudo; else \
			echo "missing Debian packages:$$missing (install them as root)"; exit 0; fi; \
		echo "installing:$$missing"; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

run: $(STAMP) system-deps
	$(BIN)/readinglist

lint: $(STAMP)
	$(BIN)/ruff check readinglist tests
	$(BIN)/ruff format --check readinglist tests

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP) system-deps
	QT_QPA_PLATFORM=offscreen $(BIN)/pytest -q

test: $(STAMP) system-deps lint typecheck unit

# The parsers' fuzz targets run far longer than in `make test` (about ten minutes).
FUZZ_EXAMPLES ?= 5000
fuzz: $(STAMP)
	READINGLIST_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) QT_QPA_PLATFORM=offscreen $(BIN)/pytest -q tests/test_fuzz.py

# Sizes 1k/10k/100k by default (three to four minutes on two cores); for example
# `make bench BENCH_ARGS="--sizes 1000,10000"`, or `--gui` with a display.
BENCH_ARGS ?=
# Byte-compiled first, as an installed package is: with PYTHONDONTWRITEBYTECODE
# set (as here) a checkout recompiles its modules on every start, ~0.1 s that
# no installed copy pays.
bench: $(STAMP)
	$(PY) -m compileall -q readinglist
	$(PY) -m readinglist.bench $(BENCH_ARGS)

# Builds a library of 10,000 papers (a few seconds), then shoots the window
# (1440x880, on a screen larger than it) into resources/screenshots.
screenshots: $(STAMP) system-deps
	xvfb-run -a -s "-screen 0 1600x1000x24" $(PY) -m readinglist.gui.screenshots resources/screenshots

package: $(STAMP)
	$(MAKE) -C packaging

clean:
	rm -rf $(VENV) build dist *.egg-info .mypy_cache .ruff_cache .pytest_cache
