"""The dashboard's routes: schedules, a schedule's trends and executions, one execution."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse

from biaswatch.analysis import document_intervals, document_metrics
from biaswatch.config.rules import ViolationRules, ideal_value
from biaswatch.constraints import recorded_violations
from biaswatch.constraints.wording import rule_in_words
from biaswatch.server.api import execution_or_404, schedule_or_404, store_of
from biaswatch.server.pages import (
    LIVE_REFRESH,
    execution_page,
    live_page,
    schedule_page,
    schedules_page,
)
from biaswatch.server.queries import (
    DEFAULT_DAYS,
    attempt_summary,
    constraint_values,
    definition_of,
    entry_label,
    execution_file,
    execution_summary,
    live_episode_summaries,
    schedule_range,
    schedule_series,
    schedule_summary,
    violation_summary,
)

__all__ = ["router"]

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
LIVE_EPISODES_SHOWN = 5
"""The live-violation episodes shown under each live panel, the latest first."""


@router.get("/")
def schedules(request: Request) -> str:
    """Every schedule with its status and last execution."""
    store = store_of(request)
    return schedules_page([schedule_summary(store, row) for row in store.schedules()])


@router.get("/live")
def live(
    request: Request,
    every: Annotated[int, Query(ge=1, le=3600)] = LIVE_REFRESH,
    at: datetime | None = None,
) -> str:
    """Each monitored endpoint's live DPPL, DI and shares.

    The page reloads itself ``every`` so many seconds. ``at`` shows the windows that end at
    that moment instead of now (to look back at a past hour).
    """
    from biaswatch.jobs.live import endpoint_lives  # reads capture files: only when asked

    if at is not None and at.tzinfo is None:
        raise HTTPException(422, "at must carry a time zone (e.g. 2026-11-25T16:30:00Z)")
    now = at or request.app.state.clock()
    store = store_of(request)
    lives = endpoint_lives(store, now=now)
    episodes = {
        live.schedule: live_episode_summaries(store, live.schedule, limit=LIVE_EPISODES_SHOWN)
        for live in lives
        if live.live_violation_window is not None
    }
    return live_page(lives, now=now, refresh=every, episodes=episodes)


@router.get("/schedules/{name}")
def schedule(
    request: Request,
    name: str,
    end: datetime | None = None,
    days: Annotated[float, Query(gt=0, le=366)] = DEFAULT_DAYS,
    stage: Literal["post_training", "pre_training", "all"] | None = None,
) -> str:
    """A schedule's standing, trend charts and executions over ``days`` ending at ``end``.

    By default the last week up to the latest execution (the page links to the weeks before),
    and the post-training metrics when the schedule has both stages (the model's behaviour;
    one link shows the pre-training ones, which describe the labels).
    """
    store = store_of(request)
    row = schedule_or_404(store, name)
    if end is not None and end.tzinfo is None:
        raise HTTPException(422, "end must carry a time zone (e.g. 2026-11-25T16:00:00Z)")
    definition = definition_of(row)
    within = schedule_range(store, row, end=end, days=days)
    executions = store.executions(name, since=within.start, until=within.end)
    latest = store.executions(name, limit=1)
    series = schedule_series(
        store, row, link="/executions/{id}", executions=executions, since=within.start,
        until=within.end,
    )  # fmt: skip
    stages = [s for s in ("post_training", "pre_training") if any(x.stage == s for x in series)]
    shown = stage or ("all" if len(stages) < 2 else stages[0])
    return schedule_page(
        schedule_summary(store, row),
        [s for s in series if shown in ("all", s.stage)],
        [execution_summary(e, definition) for e in executions],
        stages=stages,
        stage=shown,
        headline=violation_summary(store, row, definition),
        within=within,
        latest=not latest or latest[0].scheduled_time < within.end,
        label=definition.facet_label if definition is not None else str,
    )


def _json(content: bytes | None) -> Any:
    return orjson.loads(content) if content is not None else None


@router.get("/executions/{execution_id}")
def execution(request: Request, execution_id: int) -> str:
    """One execution: metrics against the constraints, violations, attempts, notifications."""
    store = store_of(request)
    row = execution_or_404(store, execution_id)
    schedule = store.schedule(row.schedule_name)
    definition = definition_of(schedule) if schedule is not None else None
    constraints = constraint_values(schedule) if schedule is not None else {}
    rules = definition.violation_rules if definition is not None else ViolationRules()
    violated = {
        (v.stage, v.facet, entry_label(v.facet_value), v.metric_name)
        for v in recorded_violations(row.counts)
    }
    document = _json(execution_file(row, "analysis")) or {}
    intervals = document_intervals(document)
    metrics: list[dict[str, Any]] = []
    for m in document_metrics(document):
        key = (m.stage, m.facet, entry_label(m.facet_value), m.name)
        constraint, baseline = constraints.get(key, (None, None))
        metrics.append(
            {
                "stage": m.stage,
                "facet": m.facet,
                "facet_value": m.facet_value,
                "metric": m.name,
                "value": m.value,
                "constraint": constraint,
                "baseline": baseline,
                "ideal": ideal_value(m.name),
                "violated": key in violated,
                "bounds": intervals.get((m.stage, m.facet, m.facet_value, m.name)),
            }
        )
    by_entry = {(m["facet"], m["facet_value"], m["metric"]): m for m in metrics}
    violations = (_json(execution_file(row, "violations")) or {}).get("violations", [])
    for v in violations:
        found = by_entry.get((v.get("facet"), v.get("facet_value"), v.get("metric_name")))
        if found is not None and found["value"] is not None and found["constraint"] is not None:
            v["value"], v["constraint"] = found["value"], found["constraint"]
            v["rule"] = rule_in_words(
                rules, found["metric"], found["value"], found["constraint"], found["bounds"]
            )
    return execution_page(
        execution_summary(row, definition),
        metrics,
        violations,
        _json(execution_file(row, "diagnostics")),
        [attempt_summary(a) for a in store.attempts(row.id)],
        [d.to_json() for d in store.deliveries(row.id)],
        label=definition.facet_label if definition is not None else str,
    )
