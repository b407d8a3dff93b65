# The two set-up commands of the README: `make run` and `make test`. Both create .venv when it is
# missing and install medgui with the tested versions pinned in constraints.txt.
# python3.11 when installed under that name, else python3 (which must then be 3.11+).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-fast lint bench installer clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $(STAMP)

# A fresh desktop Linux may lack the X11/xcb libraries Qt's window loads: say which, first.
run: $(STAMP)
	$(BIN)/python installer/check_system_libs.py
	$(BIN)/medgui --demo

lint: $(STAMP)
	$(BIN)/ruff check medgui tests benchmarks
	$(BIN)/lint-imports

test: lint
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q

# The same without the tests marked slow (training, DDP, propagation, model review).
test-fast: lint
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -m "not slow"

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_scan.py
	$(BIN)/python benchmarks/bench_load.py

# The one-folder app in dist/medgui/, checked by its own `medgui selftest` (see installer/).
installer: $(STAMP)
	installer/build.sh

clean:
	rm -rf $(VENV) build dist *.egg-info
