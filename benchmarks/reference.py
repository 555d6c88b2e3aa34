"""Clarify's library as the reference: measured in a virtual environment of its own.

``smclarify`` 0.5 is the library SageMaker Clarify's processing container runs. It needs
pandas < 3 and pins boto3 and s3fs loosely, so it is kept apart from biaswatch's environment:
the first run creates ``~/.cache/biaswatch-bench/clarify-venv`` (``python -m venv`` and
``pip install``, about a minute; ``BIASWATCH_BENCH_CLARIFY`` may name another Python that has
smclarify). The scripts below run there, in a fresh process each, as a pandas user would.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REQUIREMENTS = ["smclarify==0.5", "pandas>=2.2,<3"]
VARIABLE = "BIASWATCH_BENCH_CLARIFY"

# Workload W with pandas and Clarify: read the capture and the labels, split the payloads,
# join, then every post-training metric but FT (argv: the folder, the glob of each).
WORKLOAD = r"""
import glob, json, sys
import pandas as pd
from smclarify.bias import report

folder, capture_glob, truth_glob = sys.argv[1:4]
capture = pd.concat(
    [pd.read_json(f, lines=True) for f in sorted(glob.glob(f"{folder}/{capture_glob}"))],
    ignore_index=True,
)
events = pd.json_normalize(capture["eventMetadata"])
key = events["inferenceId"].fillna(events["eventId"]).astype(str)
data = pd.json_normalize(capture["captureData"])
frame = data["endpointInput.data"].str.split(",", expand=True).astype("int64")
frame.columns = [f"f{i}" for i in range(frame.shape[1])]
frame["predicted"] = (data["endpointOutput.data"].astype(float) > 0.5).astype("int64")
frame["key"] = key
truth = pd.concat(
    [pd.read_json(f, lines=True, dtype=False) for f in sorted(glob.glob(f"{folder}/{truth_glob}"))],
    ignore_index=True,
)
labels = pd.DataFrame({
    "key": pd.json_normalize(truth["eventMetadata"])["eventId"].astype(str),
    "label": pd.json_normalize(truth["groundTruthData"])["data"].astype("int64"),
})
joined = frame.merge(labels, on="key").drop(columns="key")
metrics = ["DPPL", "DI", "DCA", "DCR", "RD", "DAR", "DRR", "AD", "TE", "CDDPL", "SD", "GE"]
found = report.bias_report(
    joined,
    report.FacetColumn("f1", [45]),
    report.LabelColumn("label", joined["label"], [1]),
    report.StageType.POST_TRAINING,
    report.LabelColumn("predicted", joined["predicted"], [1]),
    metrics=metrics,
    group_variable=joined["f2"],
)
values = {m["name"]: m["value"] for m in found[0]["metrics"]}
print(json.dumps({"rows": len(joined), "values": values}))
"""

# FT alone with pandas and Clarify (argv: the CSV file, its headers as JSON, the facet, label
# and prediction columns).
FLIP_TEST = r"""
import json, sys
import pandas as pd
from smclarify.bias import report

path, headers, facet, label, predicted = sys.argv[1:6]
frame = pd.read_csv(path, header=None, names=json.loads(headers))
found = report.bias_report(
    frame,
    report.FacetColumn(facet, [0]),
    report.LabelColumn(label, frame[label], [1]),
    report.StageType.POST_TRAINING,
    report.LabelColumn(predicted, frame[predicted], [1]),
    metrics=["FT"],
)
print(json.dumps({"rows": len(frame), "FT": found[0]["metrics"][0]["value"]}))
"""


def reference_python() -> str:
    """A Python with smclarify: ``$BIASWATCH_BENCH_CLARIFY``, else the cached environment."""
    named = os.environ.get(VARIABLE)
    if named:
        return named
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    folder = cache / "biaswatch-bench" / "clarify-venv"
    python = folder / "bin" / "python"
    marker = folder / ".installed"
    if not marker.exists():
        print(f"creating Clarify's reference environment in {folder} (once) …", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(folder)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", *REQUIREMENTS], check=True)
        marker.write_text(" ".join(REQUIREMENTS) + "\n")
    return str(python)


def reference_versions(python: str) -> str:
    """The versions of smclarify and pandas the reference runs."""
    code = (
        "import importlib.metadata as m;"
        "print(f\"smclarify {m.version('smclarify')}, pandas {m.version('pandas')}\")"
    )
    done = subprocess.run([python, "-c", code], check=True, capture_output=True, text=True)
    return done.stdout.strip()
