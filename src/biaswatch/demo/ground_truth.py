"""The demo's ground truth: each hour's labels arrive late, as they do in production.

The labels of the traffic of hour *h* are uploaded in one file with ``collected_at`` at
*h* + :data:`GROUND_TRUTH_DELAY` (1 h 30 min), so in the ground-truth hour folder *h* + 1. The
execution scheduled at *h* + 1 reads the ground-truth folders *h* and *h* + 1 and finds them.

For one hour (``late_hour``) only every other label comes then; the rest come
:data:`LATE_DELAY` (4 h) after the hour starts, too late for its execution's first attempt: the
schedule's re-evaluation reruns that slot with them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt

from biaswatch.capture import GroundTruthRecord, upload_ground_truth
from biaswatch.demo.traffic import Invocation
from biaswatch.storage import start_of_hour

__all__ = ["GROUND_TRUTH_DELAY", "LATE_DELAY", "upload_delayed_labels"]

GROUND_TRUTH_DELAY = timedelta(hours=1, minutes=30)
LATE_DELAY = timedelta(hours=4)


def upload_delayed_labels(
    uri: str,
    invocations: Iterable[Invocation],
    labels: npt.NDArray[np.int64],
    *,
    delay: timedelta = GROUND_TRUTH_DELAY,
    late_hour: datetime | None = None,
) -> list[str]:
    """Upload the label of every invocation, one file per traffic hour, ``delay`` after it.

    Half the labels of ``late_hour`` come :data:`LATE_DELAY` after it instead, in a file of
    their own. Returns the files' URIs.
    """
    by_hour: dict[datetime, list[GroundTruthRecord]] = {}
    for invocation in invocations:
        record = GroundTruthRecord.of(invocation.inference_id, int(labels[invocation.row]))
        by_hour.setdefault(start_of_hour(invocation.time), []).append(record)
    files = []
    for hour, records in sorted(by_hour.items()):
        if hour == late_hour:
            files.append(upload_ground_truth(uri, records[1::2], collected_at=hour + LATE_DELAY))
            records = records[::2]
        files.append(upload_ground_truth(uri, records, collected_at=hour + delay))
    return files
