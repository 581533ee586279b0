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
	libdbus-1-3 fonts-dejavu-core texlive-binaries texlive-base texlive-latex-base biber imagemagick \
	nsis shared-mime-info libglib2.0-bin
# (nsis: tests/packaging/test_nsis.py compiles the Windows installer script with makensis;
# shared-mime-info and libglib2.0-bin: tests/packaging/test_mime.py asks gio for a file's type.)
# What `make installer` and `make installer-check` need besides: dpkg-dev (dpkg-shlibdeps),
# binutils (strip, readelf), chrpath, help2man (the man page), librsvg2-bin (rsvg-convert
# renders the icons), the Wayland client libraries dpkg-shlibdeps resolves Qt's Wayland
# plug-in against, and the validators.
INSTALLER_APT_PACKAGES := dpkg-dev binutils chrpath help2man librsvg2-bin libwayland-cursor0 \
	libwayland-egl1 desktop-file-utils appstream lintian
# PyInstaller 6.10 knows PySide6 6.8+'s layout; 7 may change the spec's API.
PYINSTALLER := pyinstaller>=6.10,<7
VERSION = $(shell sed -n 's/^__version__ = "\(.*\)"$$/\1/p' readinglist/__init__.py)
DEB_ARCH = $(shell dpkg --print-architecture)

.PHONY: run test lint typecheck unit bench fuzz screenshots system-deps installer-deps \
	bundle installer installer-check package clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# Installs Debian packages when they are missing and we may (root or sudo); $(1): the
# packages, $(2): the exit status when we may not (0 goes on, for the tests' extras).
define apt_install
	@missing=""; for p in $(1); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null; then SUDO=sudo; else \
			echo "missing Debian packages:$$missing (install them as root)"; exit $(2); fi; \
		echo "installing:$$missing"; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi
endef

system-deps:
	$(call apt_install,$(APT_PACKAGES),0)

installer-deps: system-deps
	$(call apt_install,$(INSTALLER_APT_PACKAGES),1)

run: $(STAMP) system-deps
	$(BIN)/readinglist

lint: $(STAMP)
	$(BIN)/ruff check readinglist tests packaging
	$(BIN)/ruff format --check readinglist tests packaging

# The packaging scripts are run as files, not imported from the package: checked by name.
typecheck: $(STAMP)
	$(BIN)/mypy
	$(BIN)/mypy --strict packaging/launcher.py packaging/bundle_prune.py packaging/render_icons.py \
		packaging/linux/build_deb.py packaging/hooks/rthooks/pyi_rth_readinglist_qt.py

unit: $(STAMP) system-deps
	QT_QPA_PLATFORM=offscreen $(BIN)/pytest -q

# Ends by building the .deb and checking it as a user's machine would (installer-check).
test: $(STAMP) system-deps lint typecheck unit installer-check

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

$(VENV)/.pyinstaller: $(STAMP)
	$(PY) -m pip install --quiet '$(PYINSTALLER)'
	touch $@

# The one-folder PyInstaller bundle, dist/readinglist/ (packaging/readinglist.spec); its
# build time is kept for `installer`'s summary.
bundle: $(STAMP) $(VENV)/.pyinstaller system-deps
	@start=$$(date +%s); \
	$(BIN)/pyinstaller --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller \
		packaging/readinglist.spec && \
	seconds=$$(( $$(date +%s) - start )) && echo $$seconds > build/bundle-seconds && \
	echo "bundle: dist/readinglist, $$(du -sh dist/readinglist | cut -f1), built in $$seconds s"

# dist/readinglist_<version>_<arch>.deb from a fresh bundle (packaging/linux/build_deb.py).
installer: installer-deps bundle
	@start=$$(date +%s); \
	$(PY) packaging/linux/build_deb.py && \
	deb=dist/readinglist_$(VERSION)_$(DEB_ARCH).deb && \
	echo "installer: $$deb, $$(du -h $$deb | cut -f1); bundle $$(du -sh dist/readinglist | cut -f1)," \
		"installed $$(du -sh build/deb/root/usr/lib/readinglist | cut -f1);" \
		"built in $$(( $$(cat build/bundle-seconds) + $$(date +%s) - start )) s (bundle and .deb)"

# Validates, installs, smoke-starts and purges the .deb (packaging/linux/check_deb.sh; root).
installer-check: installer
	packaging/linux/check_deb.sh dist/readinglist_$(VERSION)_$(DEB_ARCH).deb

package: installer

clean:
	rm -rf $(VENV) build dist *.egg-info .mypy_cache .ruff_cache .pytest_cache
