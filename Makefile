# biaswatch: `make demo` runs the bundled example, `make test` runs every check and test.
PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
export UV_PYTHON_DOWNLOADS := never

.PHONY: install bytecode demo test check lint format typecheck layers bench install-check clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# Bytecode compiled ahead: where PYTHONDONTWRITEBYTECODE is set, as on CI's machines, every
# process would otherwise compile every module it imports (seconds per worker and command).
$(VENV)/.installed: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --all-extras --group dev --compile-bytecode --python $(PYTHON)
	touch $@

bytecode: install
	$(BIN)/python -m compileall -q src tests benchmarks scripts

install: $(VENV)/.installed

demo: install bytecode
	$(BIN)/biaswatch demo

# The suite measures line and branch coverage, worker processes included (pyproject.toml
# [tool.coverage.run]), then fails when a layer below the store is under its floor
# ([tool.coverage.floors]; docs/decisions/0026). `coverage report -m` shows what is missing.
test: check bytecode
	rm -f .coverage .coverage.*
	COVERAGE_FILE=$(CURDIR)/.coverage $(BIN)/python -m pytest -n 2 --dist loadgroup --cov --cov-report=
	$(BIN)/python scripts/coverage_floors.py

check: lint typecheck layers

lint: install
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts

format: install
	$(BIN)/ruff format src tests benchmarks scripts
	$(BIN)/ruff check --fix src tests benchmarks scripts

typecheck: install
	$(BIN)/mypy

layers: install
	$(BIN)/lint-imports

# The wheel installed with plain pip into a fresh venv per extra, each smoke-tested (CI runs it).
install-check: install
	$(BIN)/python scripts/check_install.py --python $(PYTHON)

bench: install bytecode
	$(BIN)/python benchmarks/analysis.py
	$(BIN)/python benchmarks/capture.py
	$(BIN)/python benchmarks/execution.py
	$(BIN)/python benchmarks/peers.py
	$(BIN)/python benchmarks/ft.py
	$(BIN)/python benchmarks/overhead.py
	$(BIN)/python benchmarks/spark.py
	$(BIN)/python benchmarks/rules.py
	$(BIN)/python benchmarks/dashboard.py

clean:
	rm -rf $(VENV) $(TOOLS) build out .pytest_cache .mypy_cache .ruff_cache .hypothesis
