"""The demo's traffic: a day of requests to the endpoint, at simulated times, over real HTTP.

:func:`plan_traffic` draws, for each hour, ``per_hour`` distinct people from the traffic rows
and spreads their requests uniformly at random over the hour (microsecond resolution, sorted).
:func:`send_traffic` sends them in order on one keep-alive HTTP connection, each with its
inference id (``X-Amzn-SageMaker-Inference-Id``, the ground-truth key) and its simulated time.
"""

from __future__ import annotations

import http.client
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import numpy as np
import numpy.typing as npt

from biaswatch.demo.clock import SIMULATED_TIME_HEADER
from biaswatch.errors import BiaswatchError, ConfigError

__all__ = ["INFERENCE_ID_HEADER", "Invocation", "plan_traffic", "send_traffic"]

INFERENCE_ID_HEADER = "X-Amzn-SageMaker-Inference-Id"
_HOUR_MICROSECONDS = 3_600_000_000

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Invocation:
    """One request: its inference id, its simulated time, and the person (a data row) sent."""

    inference_id: str
    time: datetime
    row: int


def plan_traffic(
    start: datetime, *, hours: int, per_hour: int, rows: IntArray, seed: int
) -> list[Invocation]:
    """The requests of ``hours`` hours from ``start`` (an hour boundary), in time order.

    Raises
    ------
    ConfigError
        If an hour would need more people than ``rows`` holds.

    Examples
    --------
    >>> from datetime import UTC
    >>> plan = plan_traffic(datetime(2026, 11, 23, tzinfo=UTC), hours=2, per_hour=3,
    ...                     rows=np.arange(10), seed=0)
    >>> [i.inference_id for i in plan]
    ['20261123T00-0000', '20261123T00-0001', '20261123T00-0002', '20261123T01-0000', ...]
    >>> all(p.time < n.time for p, n in zip(plan, plan[1:]))
    True
    """
    if not 0 < per_hour <= len(rows):
        raise ConfigError(
            f"requests per hour must be in 1..{len(rows)} (the people to draw from),"
            f" got {per_hour}",
            field="requests_per_hour",
            value=per_hour,
        )
    random = np.random.default_rng(seed)
    plan: list[Invocation] = []
    for hour in range(hours):
        hour_start = start + timedelta(hours=hour)
        people = random.choice(rows, size=per_hour, replace=False)
        offsets = np.sort(random.integers(0, _HOUR_MICROSECONDS, size=per_hour))
        prefix = f"{hour_start:%Y%m%dT%H}"
        plan.extend(
            Invocation(
                f"{prefix}-{number:04d}",
                hour_start + timedelta(microseconds=int(offset)),
                int(person),
            )
            for number, (person, offset) in enumerate(zip(people, offsets, strict=True))
        )
    return plan


def send_traffic(
    url: str,
    invocations: Sequence[Invocation],
    features: IntArray,
    *,
    on_sent: Callable[[int], None] | None = None,
    report_every: int = 100,
) -> int:
    """POST every invocation's features to ``url`` as one CSV line; returns how many were sent.

    ``on_sent(n)`` is called after every ``report_every`` requests (and after the last ones).

    Raises
    ------
    BiaswatchError
        If the endpoint cannot be reached or does not answer 200.
    """
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    rows = features.tolist()
    unreported = 0
    try:
        for invocation in invocations:
            connection.request(
                "POST",
                parts.path,
                body=",".join(map(str, rows[invocation.row])).encode(),
                headers={
                    "Content-Type": "text/csv",
                    INFERENCE_ID_HEADER: invocation.inference_id,
                    SIMULATED_TIME_HEADER: invocation.time.isoformat(),
                },
            )
            response = connection.getresponse()
            answer = response.read()
            if response.status != 200:
                raise BiaswatchError(
                    f"the demo endpoint answered {response.status} to {invocation.inference_id}:"
                    f" {answer[:200].decode(errors='replace')}"
                )
            unreported += 1
            if on_sent is not None and unreported == report_every:
                on_sent(unreported)
                unreported = 0
    except (OSError, http.client.HTTPException) as exc:
        raise BiaswatchError(f"the demo endpoint {url} failed: {exc}") from exc
    finally:
        connection.close()
    if on_sent is not None and unreported:
        on_sent(unreported)
    return len(invocations)
