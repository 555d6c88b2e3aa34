"""The live panel in Chromium: it reloads itself, and turns when bias starts, before any hour;
the scheduler's live round announces it, and the panel shows the episode and its delivery."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from tests.browser.test_dashboard import screenshot
from tests.live_server import live_server
from tests.live_traffic import NOW, live_world, send
from tests.receivers import WebhookReceiver

from biaswatch.jobs.live import live_round
from biaswatch.jobs.notifying import deliver
from biaswatch.server import create_app
from biaswatch.store import Store


def five_minute_dppl(browser: webdriver.Chrome) -> tuple[float, bool]:
    """The panel's DPPL of sex = 0 over the last 5 minutes, and whether it is flagged."""
    for row in browser.find_elements(By.CSS_SELECTOR, "#live-ep-table tr.live"):
        cells = row.find_elements(By.TAG_NAME, "td")
        if [cell.text for cell in cells[:3]] == ["sex", "0", "DPPL"]:
            last_five = cells[4]
            return float(last_five.text), "violated" in (last_five.get_attribute("class") or "")
    raise AssertionError("no DPPL row for sex = 0")


def test_the_live_panel_turns_when_bias_starts(browser: webdriver.Chrome, tmp_path: Path) -> None:
    with WebhookReceiver().running() as hook:
        store, base = live_world(tmp_path, live_violation_window=5, notifications=[hook.url])
        _watch(browser, store, base)
        assert hook.events() == ["live-violation"]
    assert not store.executions("live-bias")  # no hourly execution has run


def _watch(browser: webdriver.Chrome, store: Store, base: str) -> None:
    send(base, range(60, 0, -1), biased=False)
    clock = [NOW]
    with live_server(create_app(store, clock=lambda: clock[0])) as url:
        browser.get(url + "/live?every=1")
        before, flagged = five_minute_dppl(browser)
        assert abs(before) < 0.25
        assert not flagged
        assert browser.find_element(By.CSS_SELECTOR, "section.live-panel h2").text == "Endpoint ep"
        send(base, range(0, -5, -1), biased=True, seed=3)  # five minutes of bias from NOW
        clock[0] = NOW + timedelta(minutes=5)
        WebDriverWait(browser, 60, poll_frequency=0.5).until(
            lambda b: five_minute_dppl(b)[0] > 0.3  # the page reloaded itself, new counts
        )
        assert five_minute_dppl(browser)[1]  # against the baseline: a violation
        assert "violate the baseline" in browser.find_element(By.CSS_SELECTOR, "p.violated").text
        assert live_round(store, now=clock[0]) == 1  # the scheduler's minute: one live event
        deliver(store, clock=lambda: clock[0], owner="test")
        WebDriverWait(browser, 60, poll_frequency=0.5).until(
            lambda b: b.find_elements(By.CSS_SELECTOR, "tr.live-episode")
        )
        episode = browser.find_element(By.CSS_SELECTOR, "tr.live-episode").text
        assert "DPPL" in episode
        assert "Delivered" in episode
        assert "Live violation since 2026-11-24 16:35 UTC" in browser.page_source
        screenshot(browser, "live")
