"""The dashboard's routes: schedules, a schedule's trends and executions, one execution."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from biaswatch.analysis import document_metrics
from biaswatch.server.api import execution_or_404, schedule_or_404, store_of
from biaswatch.server.pages import execution_page, schedule_page, schedules_page
from biaswatch.server.queries import (
    attempt_summary,
    baseline_values,
    entry_label,
    execution_file,
    execution_summary,
    schedule_series,
    schedule_summary,
)

__all__ = ["router"]

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


@router.get("/")
def schedules(request: Request) -> str:
    """Every schedule with its status and last execution."""
    store = store_of(request)
    return schedules_page([schedule_summary(store, row) for row in store.schedules()])


@router.get("/schedules/{name}")
def schedule(request: Request, name: str) -> str:
    """A schedule's trend charts and executions."""
    store = store_of(request)
    row = schedule_or_404(store, name)
    executions = store.executions(name)
    return schedule_page(
        schedule_summary(store, row),
        schedule_series(store, row, link="/executions/{id}", executions=executions),
        [execution_summary(e) for e in executions],
    )


def _json(content: bytes | None) -> Any:
    return orjson.loads(content) if content is not None else None


@router.get("/executions/{execution_id}")
def execution(request: Request, execution_id: int) -> str:
    """One execution: attempts, metrics against the baseline, violations, diagnostics, report."""
    store = store_of(request)
    row = execution_or_404(store, execution_id)
    schedule = store.schedule(row.schedule_name)
    baselines = baseline_values(schedule) if schedule is not None else {}
    violated = {
        (v["stage"], v["facet"], entry_label(v["facet_value"]), v["metric"])
        for v in (row.counts or {}).get("violated", [])
    }
    metrics = []
    for m in document_metrics(_json(execution_file(row, "analysis")) or {}):
        key = (m.stage, m.facet, entry_label(m.facet_value), m.name)
        metrics.append(
            {
                "stage": m.stage,
                "facet": m.facet,
                "facet_value": m.facet_value,
                "metric": m.name,
                "value": m.value,
                "baseline": baselines.get(key),
                "violated": key in violated,
            }
        )
    violations = (_json(execution_file(row, "violations")) or {}).get("violations", [])
    return execution_page(
        execution_summary(row),
        metrics,
        violations,
        _json(execution_file(row, "diagnostics")),
        [attempt_summary(a) for a in store.attempts(row.id)],
    )
