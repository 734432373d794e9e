"""Many viewers at once: AppTest sessions in threads of one process, over shared caches.

Each session is a person arriving at the same moment: they open the app, choose their persona,
open their page and come back to it, and every one of those renders is timed. The threads share
the process's `st.cache_data` and database engine as the sessions of one Streamlit server do,
and compete for its two cores and its global interpreter lock as those would.
"""

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from unittest.mock import patch

import numpy as np
from streamlit.components.v2.component_manager import BidiComponentManager
from streamlit.runtime import Runtime
from streamlit.testing.v1 import AppTest, app_test
from streamlit.testing.v1.util import patch_config_options

from benchmarks.measure import timed
from benchmarks.pages import APP, RUN_TIMEOUT_S, VISITS, PageFailed, Visit, app_on, checked

SESSIONS = 20


class _LastRuntime:
    """Stands in for `Runtime.instance` while sessions run in threads.

    AppTest installs a stand-in runtime for each run and removes it when the run ends, which
    is right for one run at a time; with runs in several threads, one run ending would pull
    the runtime from under the others. This keeps the most recent one in place instead, as a
    Streamlit server has one runtime for all its sessions.
    """

    def __init__(self) -> None:
        self.last: Runtime | None = None

    def instance(self) -> Runtime:
        current = Runtime._instance
        if current is not None:
            self.last = current
        if self.last is None:
            raise RuntimeError("Runtime hasn't been created!")
        return self.last


class _ComponentsFoundOnce(BidiComponentManager):
    """One component registry, scanned once, for every session.

    A Streamlit server scans the installed packages for components once, at start-up. AppTest
    scans again for every new session (0.15 to 0.4 s each here), which a server's visitors never
    wait for; sharing one registry that ignores the later scans keeps that out of the figure.
    """

    def __init__(self) -> None:
        super().__init__()
        super().discover_and_register_components(start_file_watching=False)

    def discover_and_register_components(self, *, start_file_watching: bool = True) -> None:
        """Already done once, at start-up."""


@contextmanager
def one_runtime_for_all_threads() -> Iterator[None]:
    """Runs of AppTest in several threads at once, each seeing a runtime and the test flag
    (AppTest also sets that flag per run and puts the previous setting back afterwards), and
    one component registry, as the sessions of one server have."""
    components = _ComponentsFoundOnce()
    with (
        patch.object(Runtime, "instance", new=_LastRuntime().instance),
        patch.object(Runtime, "exists", new=staticmethod(lambda: True)),
        patch_config_options({"global.appTest": True}),
        patch.object(app_test, "BidiComponentManager", new=lambda: components),
    ):
        yield


def _session(visit: Visit, start: threading.Barrier) -> list[float]:
    """Seconds of each render one person waits for, from arriving to a warm revisit."""
    at = AppTest.from_file(APP, default_timeout=RUN_TIMEOUT_S)
    start.wait()
    seconds = [timed(at.run)[0]]
    if at.exception:
        raise PageFailed(f"The start page failed: {at.exception[0].value}")
    seconds.append(timed(at.selectbox(key="view_as").select(visit.role).run)[0])
    seconds.append(timed(at.switch_page(visit.page).run)[0])
    checked(at, visit)
    seconds.append(timed(at.run)[0])
    checked(at, visit)
    return seconds


def concurrent_renders(url: str, sessions: int = SESSIONS) -> dict[str, float | int]:
    """p95 seconds of every render in `sessions` simultaneous sessions (personas in turn)."""
    start = threading.Barrier(sessions)
    with (
        app_on(url),
        one_runtime_for_all_threads(),
        ThreadPoolExecutor(max_workers=sessions) as pool,
    ):
        futures = [pool.submit(_session, VISITS[n % len(VISITS)], start) for n in range(sessions)]
        seconds = [value for future in futures for value in future.result()]
    return {
        "concurrent_sessions": sessions,
        "concurrent_p95_s": float(np.percentile(seconds, 95)),
    }
