"""What importing biaswatch loads, and that the core works without optional extras."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import biaswatch
from biaswatch._lazy import exported_names


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


def test_a_script_that_runs_executions_loads_no_engine() -> None:
    # The analysis, the decoders and DuckDB load in the worker process, not in the caller.
    loaded = _loaded_after("from biaswatch.model_monitor import ModelBiasMonitor")
    engines = {"pyarrow", "numpy", "duckdb", "pandas", "fsspec", "sklearn"}
    assert loaded & engines == set()


def _lazy_packages() -> list[str]:
    root = Path(biaswatch.__file__).parent
    return sorted(
        f"biaswatch.{init.parent.name}"
        for init in root.glob("*/__init__.py")
        if "lazy_exports(__name__, __file__)" in init.read_text()
    )


@pytest.mark.parametrize("package", _lazy_packages())
def test_a_lazy_package_offers_exactly_what_it_lists(package: str) -> None:
    module = importlib.import_module(package)
    names = exported_names(package, str(module.__file__))
    assert sorted(names) == sorted(module.__all__)
    for name in module.__all__:
        assert getattr(module, name) is getattr(importlib.import_module(names[name][0]), name)
    assert set(module.__all__) <= set(dir(module))
    with pytest.raises(AttributeError, match="has no attribute 'no_such_name'"):
        module.no_such_name  # noqa: B018


def test_the_lazy_packages_include_the_heavy_ones() -> None:
    assert {"biaswatch.analysis", "biaswatch.capture", "biaswatch.store"} <= set(_lazy_packages())


@pytest.mark.parametrize(("engine", "hidden"), [("local", True), ("spark", False)])
def test_the_worker_hides_pandas_from_local_executions(engine: str, hidden: bool) -> None:
    code = textwrap.dedent(
        f"""
        import json, sys
        import pyarrow as pa
        from biaswatch.config.monitor import EndpointInputDefinition, MonitoringJobDefinition
        from biaswatch.jobs.worker import _pandas_hidden

        definition = MonitoringJobDefinition(
            schedule_name="s",
            endpoint_input=EndpointInputDefinition(endpoint_name="ep", capture_uri="/c"),
            ground_truth_uri="/g",
            output_uri="/o",
            analysis_config={{"label": "y", "facet": [{{"name_or_index": "f"}}]}},
            engine={engine!r},
        )
        with _pandas_hidden(definition):
            try:
                import pandas
                found = True
            except ModuleNotFoundError:
                found = False
            converted = pa.chunked_array([pa.array([1, 2])]).to_numpy().tolist()
        import pandas  # the process may still use it afterwards
        print(json.dumps([found, converted]))
        """
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    found, converted = json.loads(out.stdout)
    assert found is not hidden
    assert converted == [1, 2]
