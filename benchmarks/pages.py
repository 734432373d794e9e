"""Page benchmarks: the app rendered through Streamlit's AppTest as each demo persona.

AppTest runs `app.py` in this process, so `st.cache_data` and `st.cache_resource` are shared
between runs exactly as they are between the sessions of one Streamlit server. A page's first
run fills the caches (cold); what is reported is a later run of the same page (warm), which is
what a person waits for when they come back to it or change a widget.
"""

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from streamlit.testing.v1 import AppTest

from benchmarks.measure import best_of
from data_model.config import DATABASE_URL_VARIABLE

PROJECT_ROOT = Path(__file__).resolve().parent.parent
APP = str(PROJECT_ROOT / "app.py")
RUN_TIMEOUT_S = 600


@dataclass(frozen=True)
class Visit:
    """One persona looking at one page: the figure's name, whose eyes, which page script."""

    figure: str
    role: str
    page: str
    title: str


VISITS = (
    Visit("page_learner_s", "learner", "app_pages/my_progress.py", "My progress"),
    Visit("page_team_s", "manager", "app_pages/my_team.py", "My team"),
    Visit("page_org_s", "ld_admin", "app_pages/organisation.py", "Organisation"),
)


class PageFailed(Exception):
    """A page raised or showed an error instead of rendering; its time would mean nothing."""


@contextmanager
def app_on(url: str) -> Iterator[None]:
    """Point the app at `url` and run it from the project folder, as `streamlit run` would,
    so it finds .streamlit/config.toml; both are put back afterwards."""
    previous_url, previous_folder = os.environ.get(DATABASE_URL_VARIABLE), Path.cwd()
    os.environ[DATABASE_URL_VARIABLE] = url
    os.chdir(PROJECT_ROOT)
    try:
        yield
    finally:
        os.chdir(previous_folder)
        if previous_url is None:
            os.environ.pop(DATABASE_URL_VARIABLE, None)
        else:
            os.environ[DATABASE_URL_VARIABLE] = previous_url


def quiet_bare_mode_warnings() -> None:
    """Streamlit warns that the main thread has no script context each time AppTest drives a
    run from it; that is expected here and would bury the table."""
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").disabled = True


def checked(at: AppTest, visit: Visit) -> AppTest:
    """`at` after its run, or `PageFailed` saying what went wrong instead."""
    problems = [str(e.value) for e in at.exception] + [str(e.value) for e in at.error]
    if problems:
        raise PageFailed(f"{visit.title} as {visit.role}: {problems[0]}")
    titles = [title.value for title in at.title]
    if titles != [visit.title]:
        raise PageFailed(f"{visit.title} as {visit.role}: the page showed {titles} instead.")
    return at


def open_page(visit: Visit) -> AppTest:
    """A new session that has chosen the persona and opened the page (the caller has set up
    the app with `app_on`)."""
    at = AppTest.from_file(APP, default_timeout=RUN_TIMEOUT_S).run()
    if at.exception:
        raise PageFailed(f"The start page failed: {at.exception[0].value}")
    at.selectbox(key="view_as").select(visit.role).run()
    at.switch_page(visit.page).run()
    return checked(at, visit)


def rerun(at: AppTest, visit: Visit) -> AppTest:
    """The same page again, as when its viewer changes a widget or comes back to it."""
    return checked(at.run(), visit)


def page_renders(url: str, runs: int = 3) -> dict[str, float]:
    """Seconds for each persona's own page once warm: the best of `runs` reruns."""
    figures: dict[str, float] = {}
    with app_on(url):
        for visit in VISITS:
            at = open_page(visit)
            figures[visit.figure] = best_of(runs, partial(rerun, at, visit))
    return figures
