"""One real-browser smoke test: headless Chromium (Debian's package) logs into admin, opens
the sync history and sees a run and the chart. Leaves a screenshot in var/ for people."""

from __future__ import annotations

import os
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from integrations.models import SyncRun

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SCREENSHOT = Path(__file__).resolve().parents[2] / "var" / "admin-sync-history.png"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

if not (CHROMIUM.exists() and CHROMEDRIVER.exists()) and not IN_CI:
    pytest.skip(
        "needs Debian's chromium and chromium-driver (/usr/bin/chromium, /usr/bin/chromedriver):"
        " apt-get install -y chromium chromium-driver (.ci/run installs them)",
        allow_module_level=True,
    )


@pytest.fixture
def browser(tmp_path, monkeypatch):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    monkeypatch.setenv("SE_OFFLINE", "true")  # selenium-manager must never download anything
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--window-size=1440,1000",
        "--lang=ru-RU",
    ):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"intl.accept_languages": "ru-RU,ru"})
    driver = webdriver.Chrome(
        service=Service(executable_path=str(CHROMEDRIVER), log_output=str(tmp_path / "driver.log")),
        options=options,
    )
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(tmp_path / "profile", ignore_errors=True)


@pytest.fixture
def history(transactional_db):
    """Twelve runs of both kinds over the last hours, one failed, one running."""
    now = timezone.now()
    runs = []
    for i in range(12):
        started = now - timedelta(hours=12 - i)
        failed = i == 7
        runs.append(
            SyncRun.objects.create(
                kind="humans" if i % 2 == 0 else "directions",
                trigger=["telegram", "schedule", "cli", "admin"][i % 4],
                mode="incremental" if i % 3 else "full",
                status="failed" if failed else "succeeded",
                started_at=started,
                finished_at=started + timedelta(seconds=2 + (i * 7) % 19),
                fetched=120 + i,
                created=0 if failed else i % 4,
                updated=0 if failed else (i * 5) % 13,
                deactivated=0 if failed else i % 2,
                unchanged=100,
                error="Notion не отвечает (502) после 5 попыток." if failed else "",
            )
        )
    runs.append(
        SyncRun.objects.create(
            kind="humans", trigger="telegram", status="running", started_at=now, fetched=40
        )
    )
    return runs


def test_superuser_sees_the_sync_history_with_the_chart(browser, live_server, admin_user, history):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, 20)
    browser.get(f"{live_server.url}/admin/login/?next=/admin/integrations/syncrun/")
    browser.find_element(By.NAME, "username").send_keys("admin")
    browser.find_element(By.NAME, "password").send_keys("password")
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()

    chart = wait.until(ec.visibility_of_element_located((By.ID, "syncrun-chart")))
    SCREENSHOT.parent.mkdir(exist_ok=True)
    browser.save_screenshot(str(SCREENSHOT))

    assert browser.current_url.endswith("/admin/integrations/syncrun/")
    rows = browser.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")
    assert len(rows) == len(history)
    assert f"#{history[-2].pk}" in browser.find_element(By.ID, "result_list").text
    bars = chart.find_elements(By.CSS_SELECTOR, "a.syncrun-bar")
    assert len(bars) == len(history) - 1  # the running run has no duration yet
    assert chart.size["height"] > 150  # drawn, not collapsed
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "ru"
