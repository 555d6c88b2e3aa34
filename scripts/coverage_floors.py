"""Fail when a layer below the store falls below its coverage floor (line and branch coverage).

``coverage report --fail-under`` holds one total; the layers need one floor each. The floors are
in ``pyproject.toml`` under ``[tool.coverage.floors]`` (a package and its per cent); this reads
the data file the suite wrote (``make test``: ``pytest --cov``, worker processes combined), prints
one line per layer, and exits 1 when any layer is below its floor
(docs/decisions/0026-tests-that-catch-mutations-and-a-coverage-floor.md).

Usage: ``python scripts/coverage_floors.py [--data-file .coverage]``
"""

from __future__ import annotations

import argparse
import io
import sys
import tomllib
from pathlib import Path

import coverage
from coverage.exceptions import NoDataError
from coverage.results import display_covered, should_fail_under

REPO = Path(__file__).resolve().parent.parent
SOURCE = REPO / "src"
PRECISION = 2


def read_floors(pyproject: Path) -> dict[str, float]:
    """The floors, by package, from ``[tool.coverage.floors]``."""
    document = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    floors = document.get("tool", {}).get("coverage", {}).get("floors")
    if not floors:
        raise SystemExit(f"{pyproject}: no [tool.coverage.floors] table")
    return {str(package): float(floor) for package, floor in floors.items()}


def measure(cov: coverage.Coverage, package: str) -> float | None:
    """The line and branch coverage of a package (or module), in per cent; None without data."""
    path = SOURCE.joinpath(*package.split("."))
    pattern = f"{path}/*" if path.is_dir() else f"{path}.py"
    try:
        return cov.report(include=[pattern], file=io.StringIO(), precision=PRECISION)
    except NoDataError:
        return None


def main(argv: list[str] | None = None) -> int:
    """Print each layer's coverage against its floor; 1 when any is below it, else 0."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-file", default=str(REPO / ".coverage"))
    parser.add_argument("--pyproject", default=str(REPO / "pyproject.toml"))
    arguments = parser.parse_args(argv)
    floors = read_floors(Path(arguments.pyproject))
    cov = coverage.Coverage(data_file=arguments.data_file, config_file=arguments.pyproject)
    cov.load()
    below = []
    print(f"{'layer (line + branch coverage)':<34} {'floor':>6} {'measured':>9}")
    for package, floor in floors.items():
        found = measure(cov, package)
        shown = "no data" if found is None else f"{display_covered(found, PRECISION)} %"
        verdict = ""
        # As `coverage report --fail-under` decides: at the shown precision, and 100 means all.
        if found is None or should_fail_under(found, floor, PRECISION):
            below.append(package)
            verdict = "  BELOW THE FLOOR"
        elif found >= floor + 1:
            verdict = f"  (the floor may rise to {int(found)})"
        print(f"{package:<34} {floor:>4g} % {shown:>9}{verdict}")
    total = cov.report(file=io.StringIO(), precision=PRECISION)
    print(f"{'(all of biaswatch, no floor)':<34} {'':>6} {display_covered(total, PRECISION):>7} %")
    if below:
        print(
            f"coverage below the floor in {', '.join(below)}: add tests"
            " (floors: pyproject.toml [tool.coverage.floors])",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
