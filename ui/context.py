"""What every page is given by the entry point: which database, and who is looking."""

from dataclasses import dataclass

import streamlit as st

from data_model.access import NotPermitted, Viewer

CONTEXT_KEY = "pathwise_context"


@dataclass(frozen=True)
class PageContext:
    """Hashable, so cached reads that take it are keyed by the database and the viewer both."""

    database_url: str
    viewer: Viewer

    @property
    def person_id(self) -> int:
        """The viewer's own id; pages are shown only to people on the roster, who have one."""
        if self.viewer.person_id is None:
            raise NotPermitted
        return self.viewer.person_id


def set_page_context(context: PageContext) -> None:
    st.session_state[CONTEXT_KEY] = context


def page_context() -> PageContext:
    """The context `app.py` set on this run; a page opened any other way explains and stops."""
    context = st.session_state.get(CONTEXT_KEY)
    if not isinstance(context, PageContext):
        st.error("Open Pathwise from its start page: streamlit run app.py.")
        st.stop()
    return context
