"""Pathwise, the entry point: open the database, decide who is looking, show only their pages.

Run with `streamlit run app.py`. Pages get the database and the viewer through
`ui.context.page_context()`, which this script sets on every run before the page runs.
"""

import streamlit as st

from ui.context import PageContext, set_page_context
from ui.database import open_app_database
from ui.errors import shown_as_messages
from ui.viewer import current_viewer, person_from_query

st.set_page_config(page_title="Pathwise", page_icon=":material/trending_up:", layout="wide")

url = open_app_database()
viewer = current_viewer(url)

pages = [
    st.Page(
        "app_pages/my_progress.py",
        title="My progress",
        icon=":material/person:",
        default=True,
        help="Your own evidence so far: the highest level shown per competency and every "
        "record behind it.",
    )
]
if viewer.is_manager:
    pages.append(
        st.Page(
            "app_pages/my_team.py",
            title="My team",
            icon=":material/group:",
            help="Your direct reports: recent evidence, who has gone quiet, and what awaits "
            "verification.",
        )
    )
if viewer.sees_everyone:
    pages.append(
        st.Page(
            "app_pages/organisation.py",
            title="Organisation",
            icon=":material/corporate_fare:",
            help="Headcount per job family and pathway level, and learning activity across "
            "the whole organisation.",
        )
    )
    pages.append(
        st.Page(
            "app_pages/framework.py",
            title="Framework",
            icon=":material/account_tree:",
            help="Competencies, level descriptors, pathway levels and requirements, and the "
            "mastery settings, with a preview of whose level a change would move.",
        )
    )
    pages.append(
        st.Page(
            "app_pages/data.py",
            title="Data",
            icon=":material/upload_file:",
            help="Load frameworks, people, the catalogue and learning records; undo an "
            "import; map what an import did not recognise.",
        )
    )
    pages.append(
        st.Page(
            "app_pages/admin.py",
            title="Access and audit",
            icon=":material/admin_panel_settings:",
            help="Who the L&D admins are, and the trail of every change, export and refused look.",
        )
    )

page = st.navigation(pages, position="top")
context = PageContext(url, viewer)
set_page_context(context)
with shown_as_messages(page.title):
    person_from_query(context)
    page.run()
