"""A real browser against a real server: `streamlit run app.py` on a fresh database, opened in
Debian's Chromium through Playwright. Proves the first-run experience end to end.
"""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT, skip_or_fail

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
STARTUP_SECONDS = 90

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_healthy(url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"streamlit exited with {server.returncode} before serving")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read() == b"ok":
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"streamlit did not answer at {url} within {STARTUP_SECONDS} s")


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`streamlit run app.py` on an empty temporary database, stopped afterwards."""
    if not CHROMIUM.exists():
        skip_or_fail(f"{CHROMIUM} is missing (apt-get install chromium), so no browser test")
    database = tmp_path_factory.mktemp("browser") / "pathwise.db"
    port = _free_port()
    environment = {**os.environ, "PATHWISE_DB_URL": f"sqlite:///{database}"}
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless=true",
         "--server.address=127.0.0.1", f"--server.port={port}",
         "--browser.gatherUsageStats=false"],
        cwd=PROJECT_ROOT, env=environment,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(url, server)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_first_run_seeds_a_demo_and_shows_real_numbers(app_url: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(app_url)
            metric_value = page.get_by_test_id("stMetricValue").first
            expect(metric_value).to_be_visible(timeout=120_000)
            expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=60_000)
            assert page.title() == "Pathwise"
            expect(page.get_by_text("Demo mode").first).to_be_visible()
            expect(page.get_by_role("heading", name="My progress")).to_be_visible()
            assert any(character.isdigit() for character in metric_value.inner_text())
            chart = page.locator("[data-testid='stPlotlyChart'] .main-svg").first
            expect(chart).to_be_visible(timeout=60_000)
            page.screenshot(path=str(ARTIFACTS / "browser-first-run.png"), full_page=True)
        finally:
            browser.close()
