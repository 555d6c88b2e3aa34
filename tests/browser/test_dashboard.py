"""The dashboard in a real browser: Debian's headless Chromium driven by Selenium.

Screenshots of each page are saved under ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from tests.conftest import REPO
from tests.live_server import live_server
from tests.server_state import SCHEDULE, build_state

from biaswatch.server import create_app

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    if not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)):
        pytest.fail(
            "the browser tests need Debian's chromium and chromium-driver"
            " (apt-get install chromium chromium-driver; .ci/run installs them)"
        )
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--window-size=1400,1000",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, Any]]]:
    store, ids = build_state(tmp_path_factory.mktemp("dashboard"))
    with live_server(create_app(store)) as url:
        yield url, ids


def screenshot(browser: webdriver.Chrome, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SCREENSHOTS / f"{name}.png"))


def test_the_dashboard_lists_the_schedule(
    browser: webdriver.Chrome, site: tuple[str, dict[str, Any]]
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
    browser: webdriver.Chrome, site: tuple[str, dict[str, Any]]
) -> None:
    url, _ = site
    browser.get(f"{url}/schedules/{SCHEDULE}")
    screenshot(browser, "schedule")
    charts = browser.find_elements(By.CSS_SELECTOR, "figure.chart")
    assert len(charts) > 10  # every metric of both stages for Sex = 0
    dppl = browser.find_element(By.CSS_SELECTOR, "figure.chart[data-metric='DPPL']")
    svg = dppl.find_element(By.CSS_SELECTOR, "svg.trend")
    assert svg.size["width"] > 300  # laid out and drawn
    assert svg.size["height"] > 100
    markers = svg.find_elements(By.CSS_SELECTOR, "circle.violation")
    assert len(markers) == 1
    assert markers[0].size["width"] > 0
    assert svg.find_elements(By.CSS_SELECTOR, "line.baseline")
    # Pre-training metrics do not change with predictions: plain points, no violation.
    ci = browser.find_element(By.CSS_SELECTOR, "figure.chart[data-metric='CI'] svg.trend")
    assert ci.find_elements(By.CSS_SELECTOR, "circle.point")
    assert not ci.find_elements(By.CSS_SELECTOR, "circle.violation")
    rows = browser.find_elements(By.CSS_SELECTOR, "#executions tr.execution")
    assert len(rows) == 2
    assert "no captured records in" in rows[1].text  # the failed one, with its reason


def test_an_execution_page_shows_its_violations(
    browser: webdriver.Chrome, site: tuple[str, dict[str, Any]]
) -> None:
    url, ids = site
    browser.get(f"{url}/schedules/{SCHEDULE}")
    browser.find_element(By.CSS_SELECTOR, "figure.chart[data-metric='DPPL'] a").click()
    assert browser.current_url.endswith(f"/executions/{ids['violations']}")
    screenshot(browser, "execution")
    violations = browser.find_elements(By.CSS_SELECTOR, "#violations tr.violation-row")
    metrics = {row.find_elements(By.TAG_NAME, "td")[0].text for row in violations}
    assert "DPPL" in metrics
    assert "doesn't meet the baseline constraint" in violations[0].text
    flagged = browser.find_elements(By.CSS_SELECTOR, "#metrics tr.violated")
    assert len(flagged) == len(violations)
    frame = browser.find_element(By.CSS_SELECTOR, "iframe[title='report']")
    browser.switch_to.frame(frame)
    assert browser.find_elements(By.TAG_NAME, "svg")  # the report renders inside
    browser.switch_to.default_content()
