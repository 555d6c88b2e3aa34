"""Benchmark: what every command and every execution costs before any data is read.

Each figure is measured as a user meets it (fresh processes, workers included):

- ``biaswatch --help``: wall and CPU of the whole process (median of 5; python itself beside).
- One ``biaswatch executions run`` of an hour of 1,000 records: the whole command, its worker
  process included (median of 3 fresh slots).
- ``biaswatch backfill`` of 24 hourly executions of 1,000 records each (plus their labels): the
  whole command; the fixed cost per execution is (CPU of the backfill − CPU of one execution's
  own command) / 23, i.e. what each execution after the first adds.
- ``biaswatch executions run --rerun`` of one slot: a new attempt, which also lists and reads
  the ground-truth hour folders uploaded since (up to now: days of folders here).
- ``biaswatch scheduler --once`` over the re-evaluating schedule: one look at its finished slots
  when nothing grew (listing the folders, comparing), then after one label file that two slots
  read was rewritten (two reruns).

CPU is user + system of the process and its children (the worker). Usage:
``python benchmarks/overhead.py [--records 1000] [--hours 24]``
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from biaswatch.capture import GroundTruthRecord
from biaswatch.capture.endpoint import CaptureRecord, Encoding, Payload, capture_file_name
from biaswatch.storage import hour_folder

START = datetime(2026, 11, 23, 0, tzinfo=UTC)
FEATURES = 14


def write_hours(folder: Path, *, hours: int, records: int) -> None:
    """``hours`` hours of ``records`` captured CSV inferences each, and their labels."""
    rng = random.Random(7)
    for hour in range(hours):
        moment = START + timedelta(hours=hour)
        lines, truth = [], []
        for number in range(records):
            features = ",".join(str(rng.randint(0, 90)) for _ in range(FEATURES))
            lines.append(
                CaptureRecord(
                    input=Payload("text/csv", "INPUT", features, Encoding.CSV),
                    output=Payload("text/csv", "OUTPUT", f"{rng.random():.6f}", Encoding.CSV),
                    event_id=f"{hour}-{number}",
                    inference_id=f"{hour}-{number}",
                    inference_time=moment + timedelta(seconds=number % 3600),
                ).to_line()
            )
            truth.append(GroundTruthRecord(f"{hour}-{number}", str(rng.randint(0, 1))).to_line())
        capture = folder / "capture" / "bench" / "AllTraffic" / capture_file_name(moment)
        capture.parent.mkdir(parents=True, exist_ok=True)
        capture.write_bytes(b"".join(lines))
        labels = folder / "ground-truth" / hour_folder(moment) / "labels.jsonl"
        labels.parent.mkdir(parents=True, exist_ok=True)
        labels.write_bytes(b"".join(truth))


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + system, children included) of one process run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, env=env, check=False, capture_output=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    """Print the three figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--hours", type=int, default=24)
    arguments = parser.parse_args()
    biaswatch = str(Path(sys.executable).parent / "biaswatch")
    with tempfile.TemporaryDirectory(prefix="biaswatch-overhead-") as temporary:
        folder = Path(temporary)
        env = {
            name: value for name, value in os.environ.items() if not name.startswith("BIASWATCH_")
        } | {"BIASWATCH_HOME": str(folder / "home")}
        python = [timed([sys.executable, "-c", "pass"], env) for _ in range(5)]
        helps = [timed([biaswatch, "--help"], env) for _ in range(5)]
        print(f"{'what':<44} {'wall s':>8} {'CPU s':>8}")
        print(f"{'python -c pass (median of 5)':<44} {_median(python)}")
        print(f"{'biaswatch --help (median of 5)':<44} {_median(helps)}")

        write_hours(folder, hours=arguments.hours + 3, records=arguments.records)
        config = folder / "analysis_config.json"
        config.write_text(
            '{"headers": [' + ",".join(f'"f{i}"' for i in range(FEATURES)) + ', "label"],'
            ' "label": "label", "label_values_or_threshold": [1],'
            ' "facet": [{"name_or_index": "f1", "value_or_threshold": [45]}],'
            ' "group_variable": "f2",'
            ' "methods": {"post_training_bias": {"methods": ["DPPL", "DI", "DCA", "DCR", "RD",'
            ' "DAR", "DRR", "AD", "CDDPL", "TE"]}}}'
        )
        setup = [
            [biaswatch, "endpoints", "register", "bench", "--capture-uri", f"{folder}/capture"],
            [biaswatch, "schedules", "create", "bench", "--endpoint", "bench",
             "--analysis-config", str(config), "--probability-attribute", "0",
             "--ground-truth-uri", f"{folder}/ground-truth", "--output-uri", f"{folder}/out",
             "--reevaluate-within", "P3650D"],
        ]  # fmt: skip
        for command in setup:
            subprocess.run(command, env=env, check=True, capture_output=True)

        def slot(hours: int) -> str:
            return (START + timedelta(hours=hours)).isoformat()

        singles = [
            timed([biaswatch, "executions", "run", "--schedule", "bench", "--scheduled-time",
                   slot(arguments.hours + offset)], env)
            for offset in (1, 2, 3)
        ]  # fmt: skip
        single_wall, single_cpu = (statistics.median(v) for v in zip(*singles, strict=True))
        wall, cpu = timed(
            [biaswatch, "backfill", "--schedule", "bench", "--start", slot(1),
             "--end", slot(arguments.hours)],
            env,
        )  # fmt: skip
        fixed = (cpu - single_cpu) / (arguments.hours - 1)
        print(
            f"{f'executions run, {arguments.records:,} records (median of 3)':<44}"
            f" {single_wall:>8.2f} {single_cpu:>8.2f}"
        )
        print(f"{f'backfill, {arguments.hours} x {arguments.records:,} records':<44}"
              f" {wall:>8.2f} {cpu:>8.2f}")  # fmt: skip
        print(f"{'fixed CPU per further execution':<44} {'':>8} {fixed:>8.2f}")

        rerun = timed(
            [biaswatch, "executions", "run", "--schedule", "bench", "--scheduled-time",
             slot(arguments.hours), "--rerun"],
            env,
        )  # fmt: skip
        print(f"{'executions run --rerun (labels up to now)':<44} {_median([rerun])}")
        once = [biaswatch, "scheduler", "--once"]
        looked = _median([timed(once, env)])
        print(f"{f'scheduler --once, {arguments.hours} slots, none grew':<44} {looked}")
        labels = folder / "ground-truth" / hour_folder(START + timedelta(hours=4)) / "labels.jsonl"
        labels.write_bytes(labels.read_bytes())  # rewritten: the slots of 04:00 and 05:00 read it
        print(f"{'scheduler --once, 2 slots rerun':<44} {_median([timed(once, env)])}")


def _median(samples: list[tuple[float, float]]) -> str:
    wall, cpu = (statistics.median(v) for v in zip(*samples, strict=True))
    return f"{wall:>8.3f} {cpu:>8.3f}"


if __name__ == "__main__":
    main()
