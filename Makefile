# biaswatch: `make demo` runs the bundled example, `make test` runs every check and test.
PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
export UV_PYTHON_DOWNLOADS := never

.PHONY: install demo test check lint format typecheck layers bench clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.installed: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --all-extras --group dev --python $(PYTHON)
	touch $@

install: $(VENV)/.installed

demo: install
	$(BIN)/biaswatch demo

test: check
	$(BIN)/python -m pytest

check: lint typecheck layers

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

format: install
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

typecheck: install
	$(BIN)/mypy

layers: install
	$(BIN)/lint-imports

bench: install
	$(BIN)/python benchmarks/analysis.py
	$(BIN)/python benchmarks/capture.py
	$(BIN)/python benchmarks/execution.py
	$(BIN)/python benchmarks/spark.py
	$(BIN)/python benchmarks/rules.py

clean:
	rm -rf $(VENV) $(TOOLS) out .pytest_cache .mypy_cache .ruff_cache .hypothesis
