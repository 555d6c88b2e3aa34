"""The REST API over the store: endpoints, schedules, executions, their files, metric series."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from biaswatch import __version__
from biaswatch.server.queries import (
    OUTPUT_FILES,
    attempt_summary,
    definition_of,
    execution_file,
    execution_summary,
    live_episode_summaries,
    schedule_range,
    schedule_series,
    schedule_summary,
)
from biaswatch.store import AttemptRow, ExecutionRow, ScheduleRow, Store

__all__ = ["router", "store_of"]

router = APIRouter(prefix="/api")


def store_of(request: Request) -> Store:
    """The store the app was created with."""
    store: Store = request.app.state.store
    return store


def schedule_or_404(store: Store, name: str) -> ScheduleRow:
    """The schedule called ``name``; a 404 when there is none."""
    row = store.schedule(name)
    if row is None:
        raise HTTPException(404, f"no monitoring schedule called {name!r}")
    return row


def execution_or_404(store: Store, execution_id: int) -> ExecutionRow:
    """The execution with that id; a 404 when there is none (or the id cannot be one)."""
    if not 0 < execution_id < 2**63:  # beyond the database's integers: no such row
        raise HTTPException(404, f"no execution {execution_id}")
    row = store.execution(execution_id)
    if row is None:
        raise HTTPException(404, f"no execution {execution_id}")
    return row


def attempt_or_404(store: Store, execution_id: int, number: int) -> AttemptRow:
    """Attempt ``number`` of the execution; a 404 when there is none."""
    row = execution_or_404(store, execution_id)
    found = store.attempt(row.id, number) if 0 < number < 2**31 else None
    if found is None:
        raise HTTPException(404, f"execution {execution_id} has no attempt {number}")
    return found


@router.get("/health", tags=["service"])
def health() -> dict[str, str]:
    """Liveness: always open, even when a token is required."""
    return {"status": "ok", "version": __version__}


@router.get("/endpoints", tags=["endpoints"])
def endpoints(request: Request) -> list[dict[str, Any]]:
    """The registered endpoints."""
    return [
        {"name": e.name, "variant": e.variant, "capture_uri": e.capture_uri, "url": e.url}
        for e in store_of(request).endpoints()
    ]


@router.get("/schedules", tags=["schedules"])
def schedules(request: Request) -> list[dict[str, Any]]:
    """Every schedule with its status and latest execution."""
    store = store_of(request)
    return [schedule_summary(store, row) for row in store.schedules()]


@router.get("/schedules/{name}", tags=["schedules"])
def schedule(request: Request, name: str) -> dict[str, Any]:
    """One schedule, with its job definition."""
    store = store_of(request)
    row = schedule_or_404(store, name)
    return schedule_summary(store, row) | {"definition": row.definition}


Start = Annotated[
    datetime | None, Query(description="Scheduled times from this one on (ISO-8601 with zone).")
]
End = Annotated[datetime | None, Query(description="Scheduled times before this one.")]


def _aware(*moments: datetime | None) -> None:
    for moment in moments:
        if moment is not None and moment.tzinfo is None:
            raise HTTPException(422, f"{moment.isoformat()} has no time zone (add Z or +00:00)")


@router.get("/schedules/{name}/executions", tags=["executions"])
def schedule_executions(
    request: Request,
    name: str,
    start: Start = None,
    end: End = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 500,
) -> list[dict[str, Any]]:
    """The schedule's executions in ``[start, end)``, oldest first; the latest ``limit``."""
    _aware(start, end)
    store = store_of(request)
    row = schedule_or_404(store, name)
    definition = definition_of(row)
    return [
        execution_summary(e, definition)
        for e in store.executions(name, limit=limit, since=start, until=end)
    ]


@router.get("/schedules/{name}/series", tags=["metrics"])
def series(
    request: Request,
    name: str,
    metric: str | None = None,
    start: Start = None,
    end: End = None,
    limit: Annotated[
        int, Query(ge=1, le=10_000, description="The latest N points of each series.")
    ] = 1000,
) -> list[dict[str, Any]]:
    """Each facet entry's metric values in ``[start, end)``, with its constraint and violations.

    Without ``start``, the 7 days before ``end`` (default: up to the latest execution), as the
    dashboard shows; at most the latest ``limit`` points of each series. ``constraint`` is what
    the violation rule compares with, ``baseline`` the baselining job's value, ``ideal`` the
    value of no bias.
    """
    _aware(start, end)
    store = store_of(request)
    row = schedule_or_404(store, name)
    if start is None:  # as the dashboard: the week up to ``end`` (or the latest execution)
        start = schedule_range(store, row, end=end).start
    return [
        s.to_json()
        for s in schedule_series(store, row, metric=metric, since=start, until=end, limit=limit)
    ]


@router.get("/schedules/{name}/live-episodes", tags=["schedules"])
def live_episodes(
    request: Request, name: str, limit: Annotated[int, Query(ge=1, le=500)] = 20
) -> list[dict[str, Any]]:
    """The schedule's live-violation episodes, the latest first, each with its notifications."""
    store = store_of(request)
    schedule_or_404(store, name)
    return live_episode_summaries(store, name, limit=limit)


@router.get("/executions/{execution_id}", tags=["executions"])
def execution(request: Request, execution_id: int) -> dict[str, Any]:
    """One execution (its latest finished attempt), with its counts, attempts and notifications."""
    store = store_of(request)
    row = execution_or_404(store, execution_id)
    return execution_summary(row) | {
        "counts": row.counts or {},
        "attempt_history": [attempt_summary(a) for a in store.attempts(row.id)],
        "notifications": [d.to_json() for d in store.deliveries(row.id)],
    }


@router.get("/executions/{execution_id}/notifications", tags=["executions"])
def notifications(request: Request, execution_id: int) -> list[dict[str, Any]]:
    """The execution's notifications, latest attempt first: event, receiver, status, tries."""
    store = store_of(request)
    row = execution_or_404(store, execution_id)
    return [d.to_json() for d in store.deliveries(row.id)]


@router.get("/executions/{execution_id}/attempts", tags=["executions"])
def attempts(request: Request, execution_id: int) -> list[dict[str, Any]]:
    """The execution's attempts, latest first: trigger, status, reason, counts, output."""
    store = store_of(request)
    row = execution_or_404(store, execution_id)
    return [attempt_summary(a) for a in store.attempts(row.id)]


def _file(request: Request, execution_id: int, kind: str, attempt: int | None = None) -> bytes:
    store = store_of(request)
    row: ExecutionRow | AttemptRow = (
        execution_or_404(store, execution_id)
        if attempt is None
        else attempt_or_404(store, execution_id, attempt)
    )
    content = execution_file(row, kind)
    if content is None:
        which = "" if attempt is None else f" attempt {attempt}"
        raise HTTPException(404, f"execution {execution_id}{which} has no {OUTPUT_FILES[kind]}")
    return content


def _json_file(request: Request, execution_id: int, kind: str) -> Any:
    return orjson.loads(_file(request, execution_id, kind))


@router.get("/executions/{execution_id}/attempts/{number}/{kind}", tags=["executions"])
def attempt_file(request: Request, execution_id: int, number: int, kind: str) -> Response:
    """One file of one attempt: analysis, violations, diagnostics, cloudwatch or report."""
    if kind not in OUTPUT_FILES:
        raise HTTPException(404, f"no file kind {kind!r}; one of {', '.join(OUTPUT_FILES)}")
    content = _file(request, execution_id, kind, number)
    if kind == "report":
        return HTMLResponse(content)
    return Response(content, media_type="application/json")


@router.get("/executions/{execution_id}/analysis", tags=["executions"])
def analysis(request: Request, execution_id: int) -> Any:
    """The execution's ``analysis.json``."""
    return _json_file(request, execution_id, "analysis")


@router.get("/executions/{execution_id}/violations", tags=["executions"])
def violations(request: Request, execution_id: int) -> Any:
    """The execution's ``constraint_violations.json`` (404 without a baseline)."""
    return _json_file(request, execution_id, "violations")


@router.get("/executions/{execution_id}/diagnostics", tags=["executions"])
def diagnostics(request: Request, execution_id: int) -> Any:
    """The execution's ``diagnostics.json``: record counts, malformed samples, timings."""
    return _json_file(request, execution_id, "diagnostics")


@router.get("/executions/{execution_id}/cloudwatch", tags=["executions"])
def cloudwatch(request: Request, execution_id: int) -> Any:
    """The execution's CloudWatch ``PutMetricData`` request."""
    return _json_file(request, execution_id, "cloudwatch")


@router.get("/executions/{execution_id}/report", tags=["executions"], response_class=HTMLResponse)
def report(request: Request, execution_id: int) -> Response:
    """The execution's ``report.html``."""
    return HTMLResponse(_file(request, execution_id, "report"))
