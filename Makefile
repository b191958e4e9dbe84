# The two commands of the quick start: `make demo` and `make test`. Both set everything up first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: setup demo test test-fast ui lerobot-env test-py312

setup: $(STAMP)
	@scripts/ensure_system_deps.sh

# torch is installed first and pinned, so no later resolution pulls the multi-GB CUDA build.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python >= 3.11 is required (found %s)" % sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet "torch==2.13.0"
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@rm -f $(VENV)/.installed-*
	@touch $@

demo: setup
	$(BIN)/vitra demo

test: setup
	$(BIN)/python -m pytest

test-fast: setup
	$(BIN)/python -m pytest -m "not slow"

ui: setup
	$(BIN)/vitra ui

# The separate LeRobot 0.6.1 environment (Python 3.12, cached under ~/.cache/vitra/) that
# tests/episodes/test_lerobot_real.py builds on first use; this only builds it ahead of time.
lerobot-env:
	@scripts/lerobot_env.sh

# The fast suite under Python 3.12 in its own venv (pyproject supports 3.11 and 3.12; `make test` uses
# $(PYTHON)). CI runs it after `make test` where a 3.12 exists (.ci/run); PyPI's cp312 torch 2.13.0 is
# the CUDA build, so this venv takes ~6.7 GB and ~6 minutes to install (docs/design.md, "Python versions").
PYTHON312 ?= python3.12
VENV312 ?= .venv-py312
STAMP312 := $(VENV312)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

$(STAMP312): pyproject.toml
	@$(PYTHON312) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 12) else "test-py312 needs Python 3.12 (found %s); set PYTHON312=" % sys.version.split()[0])'
	$(PYTHON312) -m venv $(VENV312)
	$(VENV312)/bin/python -m pip install --quiet --upgrade pip
	$(VENV312)/bin/python -m pip install --quiet "torch==2.13.0"
	$(VENV312)/bin/python -m pip install --quiet -e ".[dev]"
	@rm -f $(VENV312)/.installed-*
	@touch $@

test-py312: $(STAMP312)
	@scripts/ensure_system_deps.sh
	$(VENV312)/bin/python -m pytest -m "not slow"
