"""Failures a page can meet while it runs, shown as one sentence instead of a traceback."""

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st
from sqlalchemy.exc import OperationalError

from data_model.access import NotPermitted


@contextmanager
def shown_as_messages() -> Iterator[None]:
    try:
        yield
    except NotPermitted:
        st.error("That is outside the people you may see.", icon=":material/lock:")
    except OperationalError as error:
        reason = str(error.orig or error).strip().splitlines()[0].rstrip(".")
        st.error(
            f"The database stopped answering ({reason}); reload the page to try again.",
            icon=":material/error:",
        )
