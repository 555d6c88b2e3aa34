"""Benchmark: a window of captured inferences + ground truth on local disk → the joined table.

1M captured inferences (CSV payloads of 14 integer features, a CSV score as output, an
inference id each) in one hour folder, and 1M ground-truth labels in the next, as SageMaker
lays them out. Times ``read_endpoint_window`` for a ``-PT1H`` … ``-PT0H`` window, then a naive
pandas pipeline (``read_json(lines=True)`` on every file, payloads split with pandas, a merge)
on the same files. Each runs in a fresh process; memory is the process's peak RSS. pyarrow
imports pandas (when installed) on its first use, about a second, once per process; the
biaswatch figure excludes that one-time cost, as a long-running scheduler pays it once.

Usage: ``python benchmarks/capture.py [--records 1000000] [--files 10] [--folder DIR]``
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from biaswatch.capture import GroundTruthRecord, Window, read_endpoint_window
from biaswatch.capture.endpoint import CaptureRecord, Encoding, Payload, capture_file_name
from biaswatch.records import DecodingOptions
from biaswatch.storage import hour_folder

SCHEDULED = datetime(2026, 11, 24, 10, tzinfo=UTC)
FEATURES = 14


def generate(folder: Path, records: int, files: int, *, json_payloads: bool = False) -> None:
    """Write the capture and ground-truth files (once; reused when present).

    With ``json_payloads``: ``{"features": [...]}`` in, ``{"score": ...}`` out, and the labels
    as ``{"label": ...}`` (JSON-encoded), in place of CSV.
    """
    marker = folder / f"generated-{records}-{files}{'-json' if json_payloads else ''}"
    if marker.exists():
        return
    rng = random.Random(11)
    per_file = -(-records // files)
    hour = SCHEDULED - timedelta(hours=1)
    for index in range(files):
        lines, truth = [], []
        for number in range(index * per_file, min((index + 1) * per_file, records)):
            values = [rng.randint(0, 90) for _ in range(FEATURES)]
            score, label = f"{rng.random():.6f}", str(rng.randint(0, 1))
            if json_payloads:
                kind, encoding = "application/json", Encoding.JSON
                features, output = json.dumps({"features": values}), f'{{"score": {score}}}'
                label = f'{{"label": {label}}}'
            else:
                kind, encoding = "text/csv", Encoding.CSV
                features, output = ",".join(map(str, values)), score
            record = CaptureRecord(
                input=Payload(kind, "INPUT", features, encoding),
                output=Payload(kind, "OUTPUT", output, encoding),
                event_id=f"e-{number}",
                inference_id=str(number),
                inference_time=hour + timedelta(seconds=number % 3600),
            )
            lines.append(record.to_line())
            truth.append(GroundTruthRecord(str(number), label, encoding.value).to_line())
        moment = hour + timedelta(minutes=index)
        path = folder / "capture" / "bench" / "AllTraffic" / capture_file_name(moment)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"".join(lines))
        gt = folder / "ground-truth" / hour_folder(SCHEDULED) / f"{index:03d}.jsonl"
        gt.parent.mkdir(parents=True, exist_ok=True)
        gt.write_bytes(b"".join(truth))
    marker.touch()


def _peak_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run_biaswatch(folder: Path) -> dict[str, float]:
    """The joined table with biaswatch (after pyarrow's one-time lazy import of pandas)."""
    import pyarrow as pa

    pa.scalar("warm-up")  # pyarrow imports pandas on first use when it is installed: ~1 s, once
    start = time.perf_counter()
    data = read_endpoint_window(
        str(folder / "capture"),
        str(folder / "ground-truth"),
        Window.from_offsets(SCHEDULED, "-PT1H", "-PT0H"),
        endpoint="bench",
        options=DecodingOptions(probability_attribute="0", probability_threshold=0.5),
    )
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "rows": data.table.num_rows, "peak_mib": _peak_mib()}


def run_pandas(folder: Path) -> dict[str, float]:
    """The same table the naive way: pandas ``read_json(lines=True)`` and a merge."""
    import pandas as pd

    start = time.perf_counter()
    captures = pd.concat(
        [pd.read_json(p, lines=True) for p in sorted((folder / "capture").rglob("*.jsonl"))]
    )
    truth = pd.concat(
        [pd.read_json(p, lines=True) for p in sorted((folder / "ground-truth").rglob("*.jsonl"))]
    )
    inputs = captures["captureData"].map(lambda c: c["endpointInput"]["data"])
    scores = captures["captureData"].map(lambda c: float(c["endpointOutput"]["data"]))
    keys = captures["eventMetadata"].map(lambda m: m.get("inferenceId") or m["eventId"])
    features = inputs.str.split(",", expand=True).astype("int64")
    features["predicted_label"] = (scores > 0.5).astype("int64").to_numpy()
    features["key"] = keys.astype(str).to_numpy()
    labels = pd.DataFrame(
        {
            "key": truth["eventMetadata"].map(lambda m: str(m["eventId"])),
            "label": truth["groundTruthData"].map(lambda g: int(g["data"])),
        }
    ).drop_duplicates("key", keep="last")
    joined = features.merge(labels, on="key")
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "rows": len(joined), "peak_mib": _peak_mib()}


def main() -> None:
    """Generate the data once, then time both pipelines in fresh processes."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--files", type=int, default=10)
    parser.add_argument("--folder", type=Path, default=None)
    parser.add_argument("--child", choices=["biaswatch", "pandas"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    folder = args.folder or Path(tempfile.gettempdir()) / "biaswatch-capture-bench"
    if args.child:
        runner = run_biaswatch if args.child == "biaswatch" else run_pandas
        print(json.dumps(runner(folder)))
        return
    generate(folder, args.records, args.files)
    print(f"{args.records:,} captured inferences (CSV, {FEATURES} features) + as many labels,")
    print(f"in {args.files} + {args.files} files under {folder}")
    print(f"{'pipeline':<28} {'seconds':>8} {'rows':>10} {'peak RSS MiB':>13}")
    for child in ("biaswatch", "pandas"):
        command = [sys.executable, __file__, "--child", child, "--folder", str(folder)]
        figures = json.loads(subprocess.run(command, check=True, capture_output=True).stdout)
        label = {
            "biaswatch": "biaswatch read_endpoint_window",
            "pandas": "pandas read_json + merge",
        }[child]
        print(
            f"{label:<28} {figures['seconds']:>8.2f} {figures['rows']:>10,}"
            f" {figures['peak_mib']:>13.0f}"
        )


if __name__ == "__main__":
    main()
