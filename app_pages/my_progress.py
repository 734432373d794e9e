"""My progress: where the viewer stands on their pathway, what is missing, and their record."""

import streamlit as st

from ui.context import page_context
from ui.progress_view import render_progress

context = page_context()
st.title("My progress")
render_progress(context, context.person_id, read_only=False)
