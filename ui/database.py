"""The app's database: opened and migrated once per URL, and given a demo when it is empty."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from data_model.config import ConfigurationError, resolve_database_url
from data_model.database import DatabaseUnavailable, open_database
from data_model.models import Person
from loaders.demo import DatabaseNotEmpty, DemoSummary, seed_demo_organisation

DEMO_PEOPLE = 300
CHECKED_KEY = "pathwise_checked_database"


@st.cache_resource(max_entries=8, show_spinner=False)
def engine_for(url: str) -> Engine:
    """One engine per URL for the whole server; keyed by URL so each test database has its own."""
    return open_database(url)


@st.cache_resource(max_entries=8)
def _seeding_lock(url: str) -> threading.Lock:
    """One lock per database URL, so two first visits at once never both seed it."""
    return threading.Lock()


@contextmanager
def session_for(url: str) -> Iterator[Session]:
    with Session(engine_for(url)) as session:
        yield session


def _seed_if_empty(url: str, engine: Engine) -> DemoSummary | None:
    """Fill an empty database with the demo organisation; None when it already has people."""
    with _seeding_lock(url):
        with Session(engine) as session:
            if session.scalar(select(Person.id).limit(1)) is not None:
                return None
        bar = st.progress(0.0, text="Creating a demo organisation")
        try:
            return seed_demo_organisation(
                engine,
                people=DEMO_PEOPLE,
                progress=lambda fraction, message: bar.progress(fraction, text=message),
            )
        except DatabaseNotEmpty:
            return None
        finally:
            bar.empty()


def open_app_database() -> str:
    """The database URL, once the database is open; on failure one sentence, then stop.

    The emptiness check runs once per browser session, so the session that created the
    demo is the one told about it.
    """
    try:
        url = resolve_database_url()
        engine = engine_for(url)
        if st.session_state.get(CHECKED_KEY) != url:
            summary = _seed_if_empty(url, engine)
            st.session_state[CHECKED_KEY] = url
            if summary is not None:
                st.success(
                    f"The database was empty, so Pathwise created a demo organisation of "
                    f"{summary.people:,} people with {summary.records:,} learning records.",
                    icon=":material/auto_awesome:",
                )
    except (ConfigurationError, DatabaseUnavailable) as error:
        st.error(str(error), icon=":material/error:")
        st.stop()
    return url
