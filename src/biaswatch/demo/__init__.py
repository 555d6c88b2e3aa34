"""``biaswatch demo``: the end-to-end quickstart, on local files.

It simulates a real-time endpoint and monitors it for a day:

1. trains a scikit-learn logistic regression on UCI Adult (bundled; income above 50K);
2. serves it from a FastAPI app wrapped in biaswatch's capture middleware, with uvicorn on a
   loopback port;
3. sends 24 hours of traffic to it over HTTP, at simulated times; from 16:00 the endpoint
   multiplies the scores of women by 0.5 (the injected bias);
4. uploads each hour's ground truth 1 h 30 min late (half of 18:00's only at 22:00);
5. runs the baseline on held-out people, with the model's predictions;
6. creates an hourly monitoring schedule (SageMaker's ``ModelBiasMonitor``) that re-evaluates
   slots for a day (``reevaluate_within="P1D"``);
7. backfills the day's 24 executions, each in a worker process (their first attempts read what
   SageMaker would have: 18:00's hour has half its labels), and
8. runs one scheduler round, whose re-evaluation reruns the 18:00 hour with all its labels.

The folder then holds ``biaswatch.db`` (the store), ``capture/``, ``ground-truth/``,
``data/reference.csv``, ``baseline/``, ``monitoring/`` (the schedule's analysis config and
constraints) and ``reports/`` (each execution's files). The choices and their reasons are in
``docs/decisions/0017-demo.md``. Needs the extra ``demo`` (FastAPI, uvicorn, scikit-learn),
imported only when the demo runs.
"""

from __future__ import annotations

from biaswatch.demo.reporter import DemoReporter, SilentReporter
from biaswatch.demo.run import DemoResult, DemoSettings, default_day, run_demo
from biaswatch.demo.summary import HourSummary

__all__ = [
    "DemoReporter",
    "DemoResult",
    "DemoSettings",
    "HourSummary",
    "SilentReporter",
    "default_day",
    "run_demo",
]
