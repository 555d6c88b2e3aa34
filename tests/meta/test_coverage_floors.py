"""scripts/coverage_floors.py fails `make test` exactly when a layer is below its floor."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.conftest import REPO

SCRIPT = REPO / "scripts" / "coverage_floors.py"


def _environment() -> dict[str, str]:
    """This environment without the suite's own coverage measurement."""
    return {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_")}


@pytest.fixture(scope="module")
def data_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Coverage data of importing ``biaswatch.status`` and ``biaswatch.errors``, and nothing else.

    Importing runs every line of ``status``; ``errors`` has methods that importing does not run.
    """
    path = tmp_path_factory.mktemp("coverage") / ".coverage"
    code = (
        "import coverage\n"
        f"c = coverage.Coverage(data_file={str(path)!r}, branch=True,"
        " source_pkgs=['biaswatch.status', 'biaswatch.errors'], config_file=False)\n"
        "c.start()\n"
        "import biaswatch.status, biaswatch.errors\n"
        "c.stop()\n"
        "c.save()\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, env=_environment(), cwd=REPO)
    return path


def _floors(tmp_path: Path, floors: dict[str, float]) -> Path:
    path = tmp_path / "pyproject.toml"
    lines = [f'"{package}" = {floor}' for package, floor in floors.items()]
    path.write_text("[tool.coverage.floors]\n" + "\n".join(lines) + "\n")
    return path


def _check(data_file: Path, pyproject: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--data-file", str(data_file), "--pyproject", str(pyproject)],
        capture_output=True,
        text=True,
        check=False,
        env=_environment(),
        cwd=REPO,
    )


def _measured(done: subprocess.CompletedProcess[str], package: str) -> float:
    [line] = [line for line in done.stdout.splitlines() if line.startswith(package + " ")]
    return float(line.split("%")[1].strip())


def test_a_layer_at_its_floor_passes_and_just_below_it_fails(
    data_file: Path, tmp_path: Path
) -> None:
    zero = _check(data_file, _floors(tmp_path, {"biaswatch.status": 0, "biaswatch.errors": 0}))
    assert zero.returncode == 0, zero.stdout + zero.stderr
    status, errors = _measured(zero, "biaswatch.status"), _measured(zero, "biaswatch.errors")
    assert 0 < errors < 100  # importing does not run the exceptions' methods
    at = _check(
        data_file, _floors(tmp_path, {"biaswatch.status": status, "biaswatch.errors": errors})
    )
    assert at.returncode == 0, at.stdout + at.stderr
    assert "BELOW" not in at.stdout
    above = _check(
        data_file,
        _floors(tmp_path, {"biaswatch.status": status, "biaswatch.errors": errors + 0.01}),
    )
    assert above.returncode == 1
    [line] = [line for line in above.stdout.splitlines() if line.startswith("biaswatch.errors")]
    assert line.endswith("BELOW THE FLOOR")
    assert "coverage below the floor in biaswatch.errors:" in above.stderr


def test_a_layer_without_data_fails(data_file: Path, tmp_path: Path) -> None:
    done = _check(data_file, _floors(tmp_path, {"biaswatch.metrics": 0}))
    assert done.returncode == 1
    assert "no data  BELOW THE FLOOR" in done.stdout


def test_a_pyproject_without_floors_is_an_error(data_file: Path, tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text("[tool.coverage.run]\nbranch = true\n")
    done = _check(data_file, path)
    assert done.returncode == 1
    assert "no [tool.coverage.floors] table" in done.stderr
