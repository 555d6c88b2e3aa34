"""The dashboard in a real browser: Debian's headless Chromium driven by Selenium.

The site is ``biaswatch demo``'s: a day of traffic with bias injected from 16:00, monitored
hourly. Screenshots of each page are saved under ``docs/screenshots/`` (the README shows them).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from tests.conftest import REPO
from tests.live_server import live_server

from biaswatch.server import create_app
from biaswatch.store import Store

SCHEDULE = "demo-income-bias"
SCREENSHOTS = REPO / "docs" / "screenshots"


@pytest.fixture(scope="module")
def site(demo_run: tuple[Path, str]) -> Iterator[tuple[str, Store]]:
    store = Store.open(f"sqlite:///{demo_run[0] / 'biaswatch.db'}")
    with live_server(create_app(store)) as url:
        yield url, store


def screenshot(browser: webdriver.Chrome, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SCREENSHOTS / f"{name}.png"))


def test_the_dashboard_lists_the_demo_schedule(
    browser: webdriver.Chrome, site: tuple[str, Store]
) -> None:
    url, _ = site
    browser.get(url + "/")
    screenshot(browser, "schedules")
    rows = browser.find_elements(By.CSS_SELECTOR, "#schedules tr.schedule")
    assert [r.find_element(By.TAG_NAME, "a").text for r in rows] == [SCHEDULE]
    assert "CompletedWithViolations" in rows[0].text
    rows[0].find_element(By.LINK_TEXT, SCHEDULE).click()
    assert browser.current_url.endswith(f"/schedules/{SCHEDULE}")


def test_trend_charts_render_points_baseline_and_violations(
    browser: webdriver.Chrome, site: tuple[str, Store]
) -> None:
    url, _ = site
    browser.get(f"{url}/schedules/{SCHEDULE}")
    screenshot(browser, "schedule")
    charts = browser.find_elements(By.CSS_SELECTOR, "figure.chart")
    assert {c.get_attribute("data-metric") for c in charts} == {"DAR", "DPPL", "RD"}
    dar = browser.find_element(By.CSS_SELECTOR, "figure.chart[data-metric='DAR'] svg.trend")
    assert dar.size["width"] > 300  # laid out and drawn
    assert dar.size["height"] > 100
    # 24 hourly executions: the 16 before the injected bias are plain points, the 8 after it
    # (scheduled 17:00 to 00:00) are violation markers.
    points = dar.find_elements(By.CSS_SELECTOR, "g.points circle")
    markers = dar.find_elements(By.CSS_SELECTOR, "circle.violation")
    assert (len(points), len(markers)) == (16, 8)
    assert all(m.size["width"] > 0 for m in markers)
    assert max(p.location["x"] for p in points) < min(m.location["x"] for m in markers)
    assert dar.find_elements(By.CSS_SELECTOR, "line.constraint")
    # A labelled UTC time axis with hour ticks, hover text on every point, a legend.
    ticks = dar.find_elements(By.CSS_SELECTOR, "line.tick")
    assert len(ticks) >= 4
    assert "scheduled time (UTC)" in (dar.get_attribute("innerHTML") or "")
    titles = [c.find_element(By.TAG_NAME, "title") for c in points + markers]
    assert all(" · " in (t.get_attribute("textContent") or "") for t in titles)
    marker_title = markers[0].find_element(By.TAG_NAME, "title").get_attribute("textContent")
    assert "violation" in (marker_title or "")
    assert browser.find_elements(By.CSS_SELECTOR, ".legend svg.legend")
    # The caption names the constraint and the baseline value apart, and says what DAR means.
    caption = browser.find_element(
        By.CSS_SELECTOR, "figure.chart[data-metric='DAR'] figcaption"
    ).text
    assert "constraint" in caption
    assert "precision of the positive predictions" in caption
    headings = [h.text for h in browser.find_elements(By.TAG_NAME, "h3")]
    assert "sex = 0 (female)" in headings
    headline = browser.find_element(By.CSS_SELECTOR, "p.headline").text
    assert headline.startswith("Violations since ")
    assert "on sex = 0 (female)" in headline
    rows = browser.find_elements(By.CSS_SELECTOR, "#executions tr.execution")
    assert len(rows) == 24


def test_an_execution_page_shows_its_violations(
    browser: webdriver.Chrome, site: tuple[str, Store]
) -> None:
    url, store = site
    browser.get(f"{url}/schedules/{SCHEDULE}")
    marker = browser.find_element(
        By.CSS_SELECTOR, "figure.chart[data-metric='DAR'] a circle.violation"
    )
    marker.find_element(By.XPATH, "..").click()
    execution_id = int(browser.current_url.rsplit("/", 1)[1])
    execution = store.execution(execution_id)
    assert execution is not None
    assert execution.status == "CompletedWithViolations"
    screenshot(browser, "execution")
    violations = browser.find_elements(By.CSS_SELECTOR, "#violations tr.violation-row")
    metrics = {row.find_elements(By.TAG_NAME, "td")[0].text for row in violations}
    assert "DAR" in metrics
    assert len(violations) == (execution.counts or {})["violations"]
    assert "doesn't meet the baseline constraint" in violations[0].text
    assert "farther from 0 than the constraint allows" in violations[0].text
    assert "sex = 0 (female)" in violations[0].text
    flagged = browser.find_elements(By.CSS_SELECTOR, "#metrics tr.violated")
    assert len(flagged) == len(violations)
    diagnostics = browser.find_element(By.ID, "diagnostics").text
    assert "rows analysed (with ground truth)" in diagnostics
    assert "join rate (inferences with ground truth) 100.0 %" in diagnostics
    assert "_" not in diagnostics  # plain words, not snake_case keys
    frame = browser.find_element(By.CSS_SELECTOR, "iframe[title='report']")
    browser.switch_to.frame(frame)
    assert browser.find_elements(By.CSS_SELECTOR, 'tr[class="violated"]')  # the report, inside
    browser.switch_to.default_content()
    browser.get(f"{url}/api/executions/{execution_id}/report")
    screenshot(browser, "report")
    assert "sex = 0 (female)" in browser.find_element(By.TAG_NAME, "h4").text
