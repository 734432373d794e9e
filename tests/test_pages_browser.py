"""Every page as each demo persona in a real browser, with one drill-down and one form each:
`streamlit run app.py` on a demo database, driven through Debian's Chromium by Playwright.

Each page is opened from the top navigation (so the sidebar's "View as" choice stays in the
same browser session), checked for its heading and a piece of its real content, and saved as
a screenshot under test-artifacts/screenshots/<role>-<page>.png. Nothing here is timed: every
step waits for text to appear, with timeouts generous enough for a busy two-core machine.
"""

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect, sync_playwright
from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from data_model.database import open_database
from data_model.models import Person
from data_model.queries import demo_personas
from loaders.demo import seed_demo_organisation
from tests.conftest import PROJECT_ROOT, skip_or_fail
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, _free_port, _wait_until_healthy

SCREENSHOTS = PROJECT_ROOT / "test-artifacts" / "screenshots"
WAIT_MS = 180_000
"""The longest any step may take: a first page view computes and caches its reads."""
WIDTH, MIN_HEIGHT, MAX_HEIGHT = 1400, 1000, 9000
MAIN_HEIGHT = "() => document.querySelector('[data-testid=\"stMain\"]')?.scrollHeight ?? 0"
"""How tall the app's content is: Streamlit scrolls inside this element, not the window."""
SETTLE_CHECKS = 120
ATTEMPTS, RETRY_MS = 3, 20_000
ROW_HEIGHT = 35
"""Streamlit's data grid rows (and its header) are 35 pixels tall."""
DEMO_PEOPLE = 300
"""As many as the app's own first-run demo, so the screenshots look as a new user sees them."""

ROLE_LABELS = {"learner": "learner", "manager": "manager", "ld_admin": "L&D admin"}
PAGES = {
    "learner": ["My progress"],
    "manager": ["My progress", "My team"],
    "ld_admin": ["My progress", "My team", "Organisation", "Framework", "Data", "Access and audit"],
}
"""The pages each persona's navigation offers, in order (the demo's L&D admin manages too)."""
CONTENT = {
    "My progress": "Level attained",
    "My team": "Your reports",
    "Organisation": "Levels by job family",
    "Framework": "competencies of Pathwise demo framework",
    "Data": "What are you loading?",
    "Access and audit": "Audit trail",
}
"""Text each page shows only once its data has been read, not just its title."""

pytestmark = pytest.mark.browser


def slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


@pytest.fixture(scope="module")
def demo_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pages-browser") / "pathwise.db"
    engine = open_database(f"sqlite:///{path}")
    seed_demo_organisation(engine, people=DEMO_PEOPLE)
    engine.dispose()
    return path


@pytest.fixture(scope="module")
def personas(demo_database: Path) -> dict[str, str]:
    """role -> the name of the persona the switcher offers for it."""
    engine = open_database(f"sqlite:///{demo_database}")
    try:
        with Session(engine) as session:
            return {role: viewer.name for role, viewer in demo_personas(session).items()}
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def reports(demo_database: Path) -> dict[str, list[str]]:
    """Manager name -> the names of their active direct reports."""
    engine = open_database(f"sqlite:///{demo_database}")
    manager = aliased(Person)
    try:
        with Session(engine) as session:
            rows = session.execute(
                select(manager.name, Person.name)
                .join(manager, manager.id == Person.manager_id)
                .where(Person.active.is_(True))
            ).all()
    finally:
        engine.dispose()
    found: dict[str, list[str]] = {}
    for boss, report in rows:
        found.setdefault(boss, []).append(report)
    return found


@pytest.fixture(scope="module")
def app_url(demo_database: Path) -> Iterator[str]:
    if not CHROMIUM.exists():
        skip_or_fail(f"{CHROMIUM} is missing (apt-get install chromium), so no browser test")
    port = _free_port()
    environment = {**os.environ, "PATHWISE_DB_URL": f"sqlite:///{demo_database}"}
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


@pytest.fixture(scope="module")
def browser(app_url: str) -> Iterator:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser, app_url: str, request: pytest.FixtureRequest) -> Iterator:
    """A fresh browser session on the app; on failure its last state is saved as
    <test name>-failed.png beside the screenshots."""
    context = browser.new_context(viewport={"width": WIDTH, "height": MIN_HEIGHT})
    context.set_default_timeout(WAIT_MS)
    opened = context.new_page()
    opened.goto(app_url)
    failed_before = request.session.testsfailed
    try:
        yield opened
    finally:
        if request.session.testsfailed > failed_before:
            name = re.sub(r"[^A-Za-z0-9_-]+", "-", request.node.name)
            opened.screenshot(path=str(SCREENSHOTS / f"{name}-failed.png"), full_page=True)
        context.close()


# Steps -------------------------------------------------------------------------------------


def settled(page) -> None:
    """Wait until the script run has finished and everything it sent has been drawn: no
    "Running..." status, no stale or placeholder elements, every chart drawn, and the page no
    longer growing (elements stream in while the script runs)."""
    height = -1
    for _ in range(SETTLE_CHECKS):
        expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=WAIT_MS)
        expect(page.locator("[data-stale='true']")).to_have_count(0, timeout=WAIT_MS)
        expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=WAIT_MS)
        charts = page.get_by_test_id("stPlotlyChart")
        for index in range(charts.count()):
            expect(charts.nth(index).locator(".main-svg").first).to_be_attached(timeout=WAIT_MS)
        now = page.evaluate(MAIN_HEIGHT)
        if now == height:
            return
        height = now
        page.wait_for_timeout(1_000)
    pytest.fail(f"the page kept changing for {SETTLE_CHECKS} seconds")


def shows(page, text: str | re.Pattern[str]) -> None:
    expect(page.get_by_text(text).first).to_be_visible(timeout=WAIT_MS)


def view_as(page, role: str, name: str) -> None:
    """Pick the persona in the sidebar switcher; the first page then shows their progress."""
    shows(page, "Demo mode")
    settled(page)
    page.get_by_role("combobox", name="View as").click()
    page.get_by_role("option", name=f"{name} — {ROLE_LABELS[role]}").click()
    expect(page.get_by_role("combobox", name="View as")).to_have_value(
        f"{name} — {ROLE_LABELS[role]}"
    )
    open_page(page, "My progress", navigate=len(PAGES[role]) > 1)


def navigation(page) -> list[str]:
    """The titles in the top navigation; none when the viewer has a single page."""
    links = page.get_by_test_id("stTopNavLink")
    return [" ".join(link.inner_text().split()[1:]) for link in links.all()]


def open_page(page, title: str, navigate: bool = True) -> None:
    if navigate:
        page.get_by_test_id("stTopNavLink").filter(has_text=title).first.click()
    expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible(timeout=WAIT_MS)
    shows(page, CONTENT[title])
    settled(page)


def attempts(action, done) -> None:
    """Do `action` until `done()` is true, for widgets that ignore input while they are still
    being drawn (a canvas grid, a popover list); the last try waits the full time."""
    for attempt in range(ATTEMPTS):
        action()
        if done(RETRY_MS if attempt < ATTEMPTS - 1 else WAIT_MS):
            return
    pytest.fail(f"{action.__name__} had no effect after {ATTEMPTS} tries")


def visible(locator):
    def check(timeout: float) -> bool:
        try:
            locator.wait_for(state="visible", timeout=timeout)
        except PlaywrightTimeout:
            return False
        return True

    return check


def choose_first_option(page, combobox) -> None:
    """Open a select box's list from the keyboard and take its first real option."""
    options = page.get_by_role("option").filter(has_not_text="Select all")

    def open_list() -> None:
        combobox.click()
        combobox.press("ArrowDown")

    attempts(open_list, visible(options.first))
    options.first.click()
    combobox.press("Escape")


def select_first_row(page, grid) -> None:
    """Tick the first row's selection box in a data grid (drawn on a canvas, so by position:
    the left edge, just below the header row); the selection shows in the URL. Clicking
    again would untick it, so a try counts as done as soon as the URL changes."""
    grid.scroll_into_view_if_needed()
    settled(page)

    def tick() -> None:
        box = grid.bounding_box()
        assert box is not None
        page.mouse.click(box["x"] + 18, box["y"] + ROW_HEIGHT * 1.5)

    def selected(timeout: float) -> bool:
        try:
            page.wait_for_url(re.compile(r"[?&]person="), timeout=timeout)
        except PlaywrightTimeout:
            return False
        return True

    attempts(tick, selected)


def screenshot(page, name: str) -> Path:
    """The whole page: the window is made as tall as the app's scrolling content first, as
    Streamlit scrolls inside its own container and a full-page capture would stop at the fold."""
    height = page.evaluate(MAIN_HEIGHT)
    page.set_viewport_size({"width": WIDTH, "height": min(max(height, MIN_HEIGHT), MAX_HEIGHT)})
    settled(page)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size({"width": WIDTH, "height": MIN_HEIGHT})
    assert path.stat().st_size > 10_000
    return path


# Tests -------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", list(PAGES))
def test_every_page_of_each_persona_opens_with_its_content(
    page, personas: dict[str, str], role: str
) -> None:
    name = personas[role]
    view_as(page, role, name)

    offered = navigation(page)
    assert offered == (PAGES[role] if len(PAGES[role]) > 1 else [])
    for title in PAGES[role]:
        open_page(page, title, navigate=len(PAGES[role]) > 1)
        assert not page.get_by_test_id("stException").count(), f"{title} raised an exception"
        screenshot(page, f"{role}-{slug(title)}")


def test_a_learner_logs_informal_learning(page, personas: dict[str, str]) -> None:
    name = personas["learner"]
    view_as(page, "learner", name)

    shows(page, "Add to your record")
    page.get_by_role("textbox", name="Or what you did").fill("Ran the quarterly data review")
    competencies = page.get_by_role("combobox", name="Competencies it shows")
    choose_first_option(page, competencies)
    page.get_by_role("button", name="Log learning").click()

    shows(page, re.compile(r"Logged \d+ record\(s\), pending until .+ verifies them\."))
    settled(page)
    screenshot(page, "learner-my-progress-informal-learning-logged")


def test_a_manager_opens_a_report_from_the_team_table(
    page, personas: dict[str, str], reports: dict[str, list[str]]
) -> None:
    name = personas["manager"]
    view_as(page, "manager", name)
    open_page(page, "My team")

    select_first_row(page, page.get_by_test_id("stDataFrame").first)

    shows(page, "A report's progress, read-only")
    settled(page)
    headings = page.get_by_role("heading").all_inner_texts()
    assert set(headings) & set(reports[name]), f"no report's name among {headings}"
    screenshot(page, "manager-my-team-report")


def test_an_ld_admin_previews_a_mastery_settings_change(page, personas: dict[str, str]) -> None:
    name = personas["ld_admin"]
    view_as(page, "ld_admin", name)
    open_page(page, "Framework")

    page.get_by_role("tab", name="Mastery settings").click()
    half_life = page.get_by_role("spinbutton", name="Half-life in days")
    half_life.fill("90")
    half_life.press("Tab")
    page.get_by_role("button", name="Preview the change").click()

    shows(page, "Level would change")
    shows(page, re.compile(r"of [\d,]+ people's attained level would change"))
    settled(page)
    screenshot(page, "ld_admin-framework-preview")
