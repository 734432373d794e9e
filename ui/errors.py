"""Failures a page can meet while it runs, shown as one sentence instead of a traceback.

A refusal (`NotPermitted`) is also written to the audit trail here, the one place every page
runs through (`app.py` wraps `page.run()` in `shown_as_messages`), so no page can forget to.
"""

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st
from sqlalchemy.exc import OperationalError

from data_model.access import NotPermitted
from data_model.audit import record_denied
from data_model.database import DatabaseBusy
from ui.context import CONTEXT_KEY, PageContext
from ui.database import engine_for

NOT_PERMITTED = "Not permitted: that is outside what you may see."


def _log_refusal(refusal: NotPermitted, page: str | None) -> None:
    context = st.session_state.get(CONTEXT_KEY)
    if isinstance(context, PageContext):
        record_denied(engine_for(context.database_url), context.viewer, refusal, page=page)


@contextmanager
def shown_as_messages(page: str | None = None) -> Iterator[None]:
    """Run a page; `page` (its title) goes into the audit entry of a refusal."""
    try:
        yield
    except NotPermitted as refusal:
        st.error(NOT_PERMITTED, icon=":material/lock:")
        _log_refusal(refusal, page)
    except DatabaseBusy as busy:
        st.error(str(busy), icon=":material/hourglass_top:")
    except OperationalError as error:
        reason = str(error.orig or error).strip().splitlines()[0].rstrip(".")
        st.error(
            f"The database stopped answering ({reason}); reload the page to try again.",
            icon=":material/error:",
        )
