"""The REST API: every route, its 404s, and token authentication."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from httpx import Client
from tests.live_server import live_server
from tests.server_state import SCHEDULE, build_state

from biaswatch.server import create_app
from biaswatch.store import Store


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, dict[str, Any]]:
    return build_state(tmp_path_factory.mktemp("server"))


@pytest.fixture(scope="module")
def client(state: tuple[Store, dict[str, Any]]) -> Iterator[Client]:
    with live_server(create_app(state[0])) as url, Client(base_url=url) as http:
        yield http


@pytest.fixture
def ids(state: tuple[Store, dict[str, Any]]) -> dict[str, Any]:
    return state[1]


def test_health_and_openapi(client: Client) -> None:
    assert client.get("/api/health").json()["status"] == "ok"
    paths = client.get("/api/openapi.json").json()["paths"]
    assert "/api/schedules/{name}/series" in paths
    assert "/" not in paths  # the dashboard's pages are not API
    assert client.get("/docs").status_code == 404  # no CDN-backed docs page


def test_endpoints_and_schedules(client: Client) -> None:
    assert [e["name"] for e in client.get("/api/endpoints").json()] == []  # registered by file
    schedules = client.get("/api/schedules").json()
    assert [s["name"] for s in schedules] == [SCHEDULE]
    summary = schedules[0]
    assert summary["input"] == {"kind": "endpoint", "name": "ll-adult"}
    assert summary["executions"] == {"CompletedWithViolations": 1, "Failed": 1}
    assert summary["last_execution"]["status"] == "CompletedWithViolations"
    one = client.get(f"/api/schedules/{SCHEDULE}").json()
    assert one["definition"]["schedule_name"] == SCHEDULE


def test_executions_oldest_first(client: Client, ids: dict[str, Any]) -> None:
    executions = client.get(f"/api/schedules/{SCHEDULE}/executions").json()
    assert [e["id"] for e in executions] == [ids["failed"], ids["violations"]]
    assert executions[0]["failure_reason"].startswith("no captured records in")
    assert (
        client.get(f"/api/schedules/{SCHEDULE}/executions?limit=1").json()[0]["id"]
        == (ids["violations"])
    )
    detail = client.get(f"/api/executions/{ids['violations']}").json()
    assert detail["violations"] > 0
    assert detail["counts"]["cloudwatch"]["status"] == "Written"


def test_an_executions_notifications_show_each_delivery_without_secrets(
    client: Client, ids: dict[str, Any]
) -> None:
    [violation] = client.get(f"/api/executions/{ids['violations']}/notifications").json()
    assert violation["event"] == "violation"
    assert violation["attempt"] == 1  # the rerun found the same: no event
    assert violation["receiver"] == "webhook http://127.0.0.1:9/hooks/…"
    assert (violation["status"], violation["tries"]) == ("Pending", 1)
    assert violation["last_error"].startswith("webhook http://127.0.0.1:9/hooks/… could not be")
    assert violation["next_try_at"] is not None
    detail = client.get(f"/api/executions/{ids['failed']}").json()
    assert [d["event"] for d in detail["notifications"]] == ["failed"]
    assert client.get("/api/executions/999999/notifications").status_code == 404


def test_execution_files(client: Client, ids: dict[str, Any]) -> None:
    done = ids["violations"]
    analysis = client.get(f"/api/executions/{done}/analysis").json()
    assert set(analysis) >= {"version", "post_training_bias_metrics"}
    violations = client.get(f"/api/executions/{done}/violations").json()["violations"]
    assert {v["metric_name"] for v in violations} >= {"DPPL"}
    assert client.get(f"/api/executions/{done}/diagnostics").json()["records"]["rows"] > 0
    assert client.get(f"/api/executions/{done}/cloudwatch").json()["MetricData"]
    report = client.get(f"/api/executions/{done}/report")
    assert report.headers["content-type"].startswith("text/html")
    assert "<svg" in report.text
    # A failed execution has diagnostics but no analysis.
    failed = ids["failed"]
    assert client.get(f"/api/executions/{failed}/diagnostics").json()["status"] == "Failed"
    missing = client.get(f"/api/executions/{failed}/analysis")
    assert missing.status_code == 404
    assert missing.json()["detail"] == f"execution {failed} has no analysis.json"


def test_a_rerun_slot_lists_its_attempts_and_serves_each_ones_files(
    client: Client, ids: dict[str, Any]
) -> None:
    done = ids["violations"]
    detail = client.get(f"/api/executions/{done}").json()
    assert (detail["attempt"], detail["attempts"], detail["revised"]) == (2, 2, True)
    history = client.get(f"/api/executions/{done}/attempts").json()
    assert history == detail["attempt_history"]
    assert [(a["attempt"], a["trigger"], a["status"]) for a in history] == [
        (2, "manual", "CompletedWithViolations"),
        (1, "manual", "CompletedWithViolations"),
    ]
    assert history[1]["output_uri"] == f"{history[0]['output_uri']}/attempts/1"
    assert history[0]["ground_truth_until"] is not None
    assert history[1]["ground_truth_until"] is None
    latest = client.get(f"/api/executions/{done}/attempts/2/diagnostics").json()
    earlier = client.get(f"/api/executions/{done}/attempts/1/diagnostics").json()
    assert (latest["attempt"], earlier["attempt"]) == (2, 1)
    assert client.get(f"/api/executions/{done}/attempts/1/report").text.startswith("<!DOCTYPE")
    assert client.get(f"/api/executions/{done}/attempts/3/analysis").status_code == 404
    assert client.get(f"/api/executions/{done}/attempts/1/nope").status_code == 404
    page = client.get(f"/executions/{done}").text
    assert "Showing attempt 2 of 2" in page
    assert page.count("<tr class='attempt'>") == 2
    assert f"/api/executions/{done}/attempts/1/report" in page
    schedule_page = client.get(f"/schedules/{SCHEDULE}").text
    assert "class='revised'" in schedule_page


def test_series_carry_baseline_and_violations(client: Client) -> None:
    series = client.get(f"/api/schedules/{SCHEDULE}/series", params={"metric": "DPPL"}).json()
    assert len(series) == 1
    dppl = series[0]
    assert (dppl["stage"], dppl["facet"], dppl["facet_value"]) == ("post_training", "Sex", "0")
    assert isinstance(dppl["baseline"], float)
    assert [p["violated"] for p in dppl["points"]] == [True]
    assert abs(dppl["points"][0]["value"]) > abs(dppl["baseline"])
    everything = client.get(f"/api/schedules/{SCHEDULE}/series").json()
    assert {s["stage"] for s in everything} == {"post_training", "pre_training"}


@pytest.mark.parametrize(
    "path",
    [
        "/api/schedules/nope",
        "/api/schedules/nope/executions",
        "/api/schedules/nope/series",
        "/api/executions/999999",
        "/api/executions/99999999999999999999",
        "/api/executions/0",
        "/api/executions/-1",
        "/api/executions/999999/analysis",
        "/api/executions/999999/report",
        "/api/executions/999999/attempts",
        "/api/executions/999999/attempts/1/analysis",
    ],
)
def test_unknown_things_are_404_json(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert "detail" in response.json()


def test_unknown_pages_are_404_html(client: Client) -> None:
    for path in ("/schedules/nope", "/executions/999999", "/executions/99999999999999999999"):
        response = client.get(path)
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/html")


def test_metrics_are_served(client: Client) -> None:
    text = client.get("/metrics").text
    assert f'schedule="{SCHEDULE}"' in text


def test_a_token_guards_api_pages_and_metrics(
    state: tuple[Store, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BIASWATCH_API_TOKEN", "s3cret")
    with live_server(create_app(state[0])) as url, Client(base_url=url) as client:
        for path in ("/api/schedules", "/metrics", f"/api/schedules/{SCHEDULE}/series"):
            assert client.get(path).status_code == 401
        page = client.get("/")
        assert page.status_code == 401
        assert "text/html" in page.headers["content-type"]
        assert (
            client.get("/api/schedules", headers={"Authorization": "Bearer wrong"}).status_code
            == 401
        )
        assert client.get("/api/health").status_code == 200
        ok = client.get("/api/schedules", headers={"Authorization": "Bearer s3cret"})
        assert ok.status_code == 200
        # A browser: ?token= once sets a cookie and redirects to the clean URL.
        first = client.get("/?token=s3cret", follow_redirects=False)
        assert first.status_code == 303
        assert first.headers["location"] == "/"
        assert client.get("/").status_code == 200  # the cookie is kept by the client


def test_the_token_redirect_stays_on_this_server(
    state: tuple[Store, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    monkeypatch.setenv("BIASWATCH_API_TOKEN", "s3cret")
    with live_server(create_app(state[0])) as url:
        host, port = url.removeprefix("http://").split(":")
        for path, target in (
            ("//evil.example/?token=s3cret", "/evil.example/"),
            ("/schedules?token=s3cret&a=b%26c", "/schedules?a=b%26c"),
        ):
            # A raw request: HTTP clients would rewrite a path that starts with "//".
            with socket.create_connection((host, int(port)), timeout=10) as connection:
                connection.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
                head = connection.recv(65536).decode().split("\r\n\r\n")[0].lower()
            assert head.startswith("http/1.1 303")
            assert f"location: {target}" in head.splitlines()


def test_the_token_never_reaches_the_access_log() -> None:
    import logging

    from biaswatch.server.auth import TokenRedaction

    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5", "GET", "/schedules?a=1&token=s3cret&b=2", "1.1", 303), None,
    )  # fmt: skip
    assert TokenRedaction().filter(record)
    assert "s3cret" not in record.getMessage()
    assert "/schedules?a=1&token=[redacted]&b=2" in record.getMessage()
