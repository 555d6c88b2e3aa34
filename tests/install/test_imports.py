"""What importing biaswatch loads, and that the core works without optional extras."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest


def _loaded_modules(statement: str) -> set[str]:
    report = "print(json.dumps(sorted(sys.modules)))"
    code = f"import sys, json\n{statement}\n{report}"
    # Coverage, when the suite measures it, starts in every subprocess (pyproject.toml): not here,
    # where what is imported is the subject.
    environment = {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_PROCESS")}
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, env=environment
    )
    return set(json.loads(out.stdout))


def _loaded_after(statement: str) -> set[str]:
    return {module.split(".")[0] for module in _loaded_modules(statement)}


def test_metrics_load_only_the_standard_library_and_numpy() -> None:
    loaded = _loaded_after("import biaswatch.metrics")
    foreign = loaded - set(sys.stdlib_module_names) - {"numpy", "biaswatch", "__main__"}
    assert foreign == set(), f"biaswatch.metrics pulled in {sorted(foreign)}"


@pytest.mark.parametrize(
    "statement", ["import biaswatch", "import biaswatch.analysis", "import biaswatch.cli"]
)
def test_core_imports_no_cloud_spark_or_web_framework(statement: str) -> None:
    loaded = _loaded_after(statement)
    heavy = {"boto3", "botocore", "pyspark", "fastapi", "starlette", "flask", "sklearn", "pandas"}
    assert loaded & heavy == set()


def test_the_worker_loads_only_what_an_execution_needs() -> None:
    loaded = _loaded_after("import biaswatch.jobs.worker")
    heavy = {"typer", "click", "rich", "alembic", "sqlalchemy", "fastapi", "pandas", "boto3"}
    assert loaded & heavy == set()


def test_the_cli_starts_without_the_store_analysis_or_rich_help() -> None:
    loaded = _loaded_after("import biaswatch.cli")
    heavy = {"sqlalchemy", "alembic", "pyarrow", "pandas", "numpy", "pydantic", "fsspec"}
    assert loaded & heavy == set()
    modules = _loaded_modules("import biaswatch.cli")
    assert "typer.rich_utils" not in modules


def test_flip_test_without_scikit_learn_is_an_error_entry() -> None:
    code = textwrap.dedent(
        """
        import importlib.abc, json, sys

        class NoSklearn(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name == "sklearn" or name.startswith("sklearn."):
                    raise ModuleNotFoundError(name)
                return None

        sys.meta_path.insert(0, NoSklearn())
        from biaswatch.analysis import analysis_document, analyze, read_dataset
        from biaswatch.config import parse_analysis_config
        from biaswatch.examples import example_path
        folder = example_path("adult")
        config = parse_analysis_config((folder / "analysis_config.json").read_bytes())
        doc = analysis_document(analyze(read_dataset(folder / "validation.jsonl", config), config))
        entry = doc["post_training_bias_metrics"]["facets"]["Sex"][0]
        print(json.dumps({m["name"]: [m["value"], m.get("error")] for m in entry["metrics"]}))
        """
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    metrics = json.loads(out.stdout)
    assert metrics["FT"] == [None, "FT needs scikit-learn: pip install 'biaswatch[ft]'"]
    assert metrics["DI"] == [0.17798594847775176, None]
