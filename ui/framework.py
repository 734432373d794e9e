"""The Framework page's cached reads and its writes, each with the session it needs.

Reads are keyed by the `PageContext`, so only a viewer allowed to edit ever has a result
cached (the data functions refuse everyone else). After any write every cached read in the
app may be stale (levels, requirements and mastery show on every page), so writes clear them
all.
"""

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import pandas as pd
import streamlit as st
from sqlalchemy.orm import Session

from data_model.mastery_settings import MasterySettings
from loaders import framework_edit
from loaders.framework_edit import (
    CompetencyRemoved,
    CompetencySettingsPreview,
    CompetencySettingsSaved,
    FrameworkOutline,
    SettingsPreview,
    SettingsSaved,
)
from loaders.framework_yaml import FrameworkChanges
from ui.context import PageContext
from ui.data import MAX_ENTRIES, TTL
from ui.database import engine_for, session_for

Progress = Callable[[float, str], None]
Changes = TypeVar("Changes", FrameworkChanges, CompetencyRemoved)


@st.cache_data(ttl=TTL, max_entries=16, show_spinner=False)
def frameworks(context: PageContext) -> pd.DataFrame:
    with session_for(context.database_url) as session:
        return framework_edit.frameworks(session, context.viewer)


@st.cache_data(ttl=TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def outline(context: PageContext, framework_id: int) -> FrameworkOutline:
    with session_for(context.database_url) as session:
        return framework_edit.framework_outline(session, context.viewer, framework_id)


def _edited(context: PageContext, edit: Callable[[Session], Changes]) -> Changes:
    """Run one structural edit in its own transaction, then forget every cached read."""
    with Session(engine_for(context.database_url)) as session, session.begin():
        changes = edit(session)
    st.cache_data.clear()
    return changes


def update_competency(
    context: PageContext,
    competency_id: int,
    name: str,
    category: str,
    description: str,
    descriptors: Mapping[int, str],
) -> FrameworkChanges:
    return _edited(
        context,
        lambda session: framework_edit.update_competency(
            session, context.viewer, competency_id, name=name, category=category,
            description=description, descriptors=descriptors,
        ),
    )  # fmt: skip


def add_competency(
    context: PageContext,
    framework_id: int,
    code: str,
    name: str,
    category: str,
    description: str,
    descriptors: Mapping[int, str],
) -> FrameworkChanges:
    return _edited(
        context,
        lambda session: framework_edit.add_competency(
            session, context.viewer, framework_id, code=code, name=name, category=category,
            description=description, descriptors=descriptors,
        ),
    )  # fmt: skip


def remove_competency(context: PageContext, competency_id: int) -> CompetencyRemoved:
    return _edited(
        context,
        lambda session: framework_edit.remove_competency(session, context.viewer, competency_id),
    )


def preview_competency_settings(
    context: PageContext, competency_id: int, overrides: Mapping[str, Any], progress: Progress
) -> CompetencySettingsPreview:
    """Not cached: a preview is asked for once per click, and the page keeps it."""
    with session_for(context.database_url) as session:
        return framework_edit.preview_competency_settings(
            session, context.viewer, competency_id, overrides, progress
        )


def save_competency_settings(
    context: PageContext,
    competency_id: int,
    overrides: Mapping[str, Any],
    progress: Progress,
    shown: CompetencySettingsPreview | None,
) -> CompetencySettingsSaved:
    saved = framework_edit.save_competency_settings(
        engine_for(context.database_url), context.viewer, competency_id, overrides, progress,
        shown,
    )  # fmt: skip
    st.cache_data.clear()
    return saved


def update_level(
    context: PageContext, level_id: int, title: str, description: str
) -> FrameworkChanges:
    return _edited(
        context,
        lambda session: framework_edit.update_level(
            session, context.viewer, level_id, title=title, description=description
        ),
    )


def add_level(
    context: PageContext,
    job_family_id: int,
    title: str,
    description: str,
    requirements: Mapping[int, float],
) -> FrameworkChanges:
    return _edited(
        context,
        lambda session: framework_edit.add_level(
            session, context.viewer, job_family_id, title=title, description=description,
            requirements=requirements,
        ),
    )  # fmt: skip


def remove_level(context: PageContext, level_id: int) -> FrameworkChanges:
    return _edited(
        context, lambda session: framework_edit.remove_level(session, context.viewer, level_id)
    )


def update_requirement(
    context: PageContext,
    level_id: int,
    competency_id: int,
    required: float | None,
    weight: float,
    critical: bool,
) -> FrameworkChanges:
    return _edited(
        context,
        lambda session: framework_edit.update_requirement(
            session, context.viewer, level_id, competency_id,
            required=required, weight=weight, critical=critical,
        ),
    )  # fmt: skip


def preview(
    context: PageContext, framework_id: int, settings: MasterySettings, progress: Progress
) -> SettingsPreview:
    """Not cached: a preview is asked for once per click, and the page keeps it."""
    with session_for(context.database_url) as session:
        return framework_edit.preview_settings_change(
            session, context.viewer, framework_id, settings, progress
        )


def save_settings(
    context: PageContext,
    framework_id: int,
    settings: MasterySettings,
    progress: Progress,
    shown: SettingsPreview | None,
) -> SettingsSaved:
    saved = framework_edit.save_settings(
        engine_for(context.database_url), context.viewer, framework_id, settings, progress, shown
    )
    st.cache_data.clear()
    return saved
