"""Benchmark: the flip test (FT) on a million rows of UCI Adult, biaswatch beside Clarify's library.

Data: the 32,561 people of UCI Adult bundled with biaswatch (``adult.data.gz``, eight integers
each as ``biaswatch demo`` encodes them), with the predictions of the demo's model trained on a
third of them, drawn with replacement (seeded) to N rows and written as one CSV file without a
header. The analysis: post-training FT alone, facet ``sex`` = 0 (women), label 1 (> 50K).

- **biaswatch**: ``biaswatch analyze --analysis-config … --dataset … --output-dir …`` in a fresh
  process, as a user runs it (its imports, reading the CSV file, FT, ``analysis.json``).
- **Clarify** (the reference): in a fresh process of its own environment
  (``benchmarks/reference.py``), ``pandas.read_csv`` and ``smclarify``'s ``bias_report`` with
  ``metrics=["FT"]``.

Each figure is CPU (user + system), wall and peak RSS, measured from outside; the two FT
values must be equal.

Usage: ``python benchmarks/ft.py [--rows 1000000] [--folder DIR]``
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script
from benchmarks.peers import measured
from benchmarks.reference import FLIP_TEST, reference_python, reference_versions

LABEL, PREDICTED = "income", "predicted"


def write_data(folder: Path, rows: int) -> tuple[Path, Path, list[str]]:
    """The CSV file and its analysis config (once; reused when present), and the headers."""
    from biaswatch.demo.dataset import FEATURES, load_adult, split_rows
    from biaswatch.demo.model import train_model

    headers = [*FEATURES, LABEL, PREDICTED]
    data_file, config_file = folder / f"adult-{rows}.csv", folder / "ft-analysis-config.json"
    config_file.write_text(
        json.dumps(
            {
                "dataset_type": "text/csv",
                "headers": headers,
                "label": LABEL,
                "predicted_label": PREDICTED,
                "label_values_or_threshold": [1],
                "facet": [{"name_or_index": "sex", "value_or_threshold": [0]}],
                "methods": {"post_training_bias": {"methods": ["FT"]}},
            }
        )
    )
    if not data_file.exists():
        adult = load_adult()
        split = split_rows(len(adult), train=len(adult) // 3, reference=1, seed=7)
        model = train_model(adult, split.train, seed=7)
        chosen = np.random.default_rng(7).integers(0, len(adult), size=rows)
        features = adult.features[chosen]
        table = np.column_stack([features, adult.labels[chosen], model.predict(features)])
        np.savetxt(data_file, table, fmt="%d", delimiter=",")
    return data_file, config_file, headers


def main() -> None:
    """Write the data once, then run both tools in fresh processes and compare."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--folder", type=Path, default=None)
    args = parser.parse_args()
    folder = args.folder or Path(tempfile.gettempdir()) / "biaswatch-ft"
    folder.mkdir(parents=True, exist_ok=True)
    data_file, config_file, headers = write_data(folder, args.rows)
    output = folder / "ft-output"
    biaswatch = Path(sys.executable).with_name("biaswatch")
    ours: dict[str, Any] = measured(
        [
            sys.executable,
            "-c",
            "import json, subprocess, sys\n"
            "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)\n"
            "print(json.dumps({}))",
            str(biaswatch),
            "analyze",
            "--analysis-config",
            str(config_file),
            "--dataset",
            str(data_file),
            "--output-dir",
            str(output),
        ],
        {},
    )
    analysis = json.loads((output / "analysis.json").read_text())
    (entry,) = analysis["post_training_bias_metrics"]["facets"]["sex"]
    (metric,) = entry["metrics"]
    python = reference_python()
    print(
        f"FT on {args.rows:,} rows of UCI Adult (8 features); Clarify: {reference_versions(python)}"
    )
    clarify = measured(
        [python, "-c", FLIP_TEST, str(data_file), json.dumps(headers), "sex", LABEL, PREDICTED],
        {},
    )
    print(f"{'tool':<10} {'CPU s':>7} {'wall s':>7} {'peak RSS MiB':>13}  FT")
    for tool, figures, value in (
        ("biaswatch", ours, metric["value"]),
        ("clarify", clarify, clarify["FT"]),
    ):
        print(
            f"{tool:<10} {figures['cpu']:>7.2f} {figures['wall']:>7.2f}"
            f" {figures['peak_mib']:>13.0f}  {value}"
        )
    if clarify["FT"] != metric["value"]:
        raise SystemExit(f"FT differs: Clarify {clarify['FT']}, biaswatch {metric['value']}")
    print(
        f"equal FT; biaswatch is {clarify['wall'] / ours['wall']:.1f}× faster in wall time,"
        f" {clarify['cpu'] / ours['cpu']:.1f}× in CPU"
    )


if __name__ == "__main__":
    main()
