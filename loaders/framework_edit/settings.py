"""Saving mastery settings, the framework's or one competency's own, with an audit entry, and
recomputing the mastery they decide."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select, union
from sqlalchemy.orm import Session

from data_model.access import Viewer
from data_model.audit import record_audit
from data_model.database import serialise_writers
from data_model.mastery_settings import MasterySettings
from data_model.models import LearningRecord, MasteryScore
from data_model.rollup import PEOPLE_PER_REFRESH, RollupSummary, recompute_all, refresh_pairs
from loaders.framework_edit.common import (
    Progress,
    competency_of,
    ensure_can_edit,
    framework_of,
    no_progress,
    records_of,
)
from loaders.framework_edit.document import apply_edit, competency_entry, stored_document
from loaders.framework_edit.preview import CompetencySettingsPreview, SettingsPreview
from loaders.framework_yaml import FrameworkChanges


@dataclass(frozen=True)
class SettingsSaved:
    changed: bool
    before: dict[str, Any]
    after: dict[str, Any]
    rollup: RollupSummary | None
    """The recompute's figures; None when nothing changed, so nothing was recomputed."""


def save_settings(
    engine: Engine,
    viewer: Viewer,
    framework_id: int,
    settings: MasterySettings,
    progress: Progress = no_progress,
    preview: SettingsPreview | None = None,
) -> SettingsSaved:
    """Store the framework's new settings with an audit entry (before, after and, when one was
    shown, the preview's counts) in one transaction, then rebuild the mastery table. The save
    waits for any import or recompute in progress, as every writer of mastery does, so the
    "before" it records is what that writer left.

    The rebuild is its own transaction (`recompute_all`): should it fail, the settings are
    saved and the old mastery stays whole; `python -m data_model recompute` finishes the job.
    """
    ensure_can_edit(viewer)
    after = settings.model_dump(mode="json")
    with Session(engine) as session, session.begin():
        serialise_writers(session)
        framework = framework_of(session, framework_id)
        before = dict(framework.mastery_settings or {})
        if MasterySettings.merged(before) == settings:
            return SettingsSaved(changed=False, before=before, after=before, rollup=None)
        framework.mastery_settings = after
        expected = (
            preview.audit_counts() if preview is not None and preview.settings == settings else {}
        )
        record_audit(
            session, viewer, "framework.settings.update", "framework", framework_id,
            before=before, after=after, **expected,
        )  # fmt: skip
    rollup = recompute_all(engine, progress=progress)
    return SettingsSaved(changed=True, before=before, after=after, rollup=rollup)


@dataclass(frozen=True)
class CompetencySettingsSaved:
    changes: FrameworkChanges
    people: int
    """People whose mastery of the competency was recomputed; 0 when nothing changed."""
    pairs: int
    """Results written for it: one per person whose evidence gives one."""


def save_competency_settings(
    engine: Engine,
    viewer: Viewer,
    competency_id: int,
    overrides: Mapping[str, Any],
    progress: Progress = no_progress,
    preview: CompetencySettingsPreview | None = None,
) -> CompetencySettingsSaved:
    """Store a competency's own settings (as `overrides_from_form` gives them; {} follows the
    framework in everything) with an audit entry (before, after and, when one was shown for
    these settings, the preview's counts), and recompute its mastery for everyone with evidence
    of it or a result for it.

    All in one transaction under the writers' lock, unlike a framework's settings: only one
    competency's pairs are recomputed, a small part of a full recompute, and the mastery table
    never shows results of the old settings beside the new ones. "Now" is read once the lock is
    held, as `recompute_all` does.
    """
    ensure_can_edit(viewer)
    with Session(engine) as session, session.begin():
        serialise_writers(session)
        competency = competency_of(session, competency_id)
        document = stored_document(session, competency.framework)
        entry = competency_entry(document, competency.code)
        before, after = entry["mastery"], dict(overrides)
        entry["mastery"] = after
        audit = ("framework.competency.settings.update", "competency", competency_id)
        shown = (
            preview is not None
            and preview.competency_id == competency_id
            and preview.overrides == after
        )
        expected = preview.audit_counts() if shown else {}
        changes = apply_edit(session, viewer, document, audit, before, after, **expected)
        if not changes.changed:
            return CompetencySettingsSaved(changes=changes, people=0, pairs=0)
        people, pairs = _recompute_competency(session, competency_id, progress)
    return CompetencySettingsSaved(changes=changes, people=people, pairs=pairs)


def _recompute_competency(
    session: Session, competency_id: int, progress: Progress
) -> tuple[int, int]:
    """Refresh one competency's mastery, a few hundred people at a time, in the caller's
    transaction: everyone with evidence of it (as `rollup.pairs_of_records` reads records) and
    everyone holding a result for it, which the new settings may take away."""
    evidence = records_of(competency_id, LearningRecord.person_id)
    held = select(MasteryScore.person_id).where(MasteryScore.competency_id == competency_id)
    people = sorted(session.scalars(union(*evidence, held)).all())
    as_of = datetime.now(UTC)
    pairs = 0
    for start in range(0, len(people), PEOPLE_PER_REFRESH):
        chunk = people[start : start + PEOPLE_PER_REFRESH]
        pairs += refresh_pairs(session, [(person, competency_id) for person in chunk], as_of)
        done = start + len(chunk)
        progress(done / len(people), f"{done:,} of {len(people):,} people")
    if not people:
        progress(1.0, "No one has evidence of it yet")
    return len(people), pairs
