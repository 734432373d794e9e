"""Previews of a mastery settings change, the framework's or one competency's own: whose
attained level (and, for one competency, whose mastery of it and proficiency in it) would
move, everything else as it is now. Nothing is written."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from data_model.access import Viewer
from data_model.mastery_settings import MasterySettings
from loaders.framework_edit.common import (
    Progress,
    competency_of,
    ensure_can_edit,
    framework_of,
    no_progress,
)
from loaders.framework_edit.comparison import compare, rules_with

COMPETENCY_CHANGE_COLUMNS = ["person", "name", "job_family", "mastery_before", "mastery_after",
                             "proficient_before", "proficient_after"]  # fmt: skip


@dataclass(frozen=True)
class LevelPreview:
    """Whose attained level a settings change would move, everything else as it is now."""

    people: int
    """Active people on a pathway (a job family with levels) that the viewer sees."""
    raised: int
    lowered: int
    changes: pd.DataFrame
    """One row per person whose attained level would change: person (external id), name,
    job_family, before, before_title, after, after_title."""

    @property
    def changed(self) -> int:
        return self.raised + self.lowered

    def levels_summary(self) -> str:
        people = "person's" if self.changed == 1 else "people's"
        return (
            f"{self.changed:,} of {self.people:,} {people} attained level would change "
            f"({self.raised:,} up, {self.lowered:,} down)"
        )

    def audit_counts(self) -> dict[str, int]:
        """What the save's audit entry records of the preview the admin saw."""
        return {"people_changing_level": self.changed, "people_assessed": self.people}


@dataclass(frozen=True)
class SettingsPreview(LevelPreview):
    """What saving a framework's `settings` would do, everything else as it is now."""

    framework_id: int
    settings: MasterySettings
    pairs_changed: int
    """Person x competency pairs whose mastery would move (by 0.01 or more, or to or from no
    result)."""

    def summary(self) -> str:
        return (
            f"{self.levels_summary()}; mastery would move for {self.pairs_changed:,} "
            "person-competency pairs."
        )


@dataclass(frozen=True)
class CompetencySettingsPreview(LevelPreview):
    """What saving `overrides` as one competency's own settings would do, everything else as it
    is now."""

    competency_id: int
    code: str
    overrides: dict[str, Any]
    """The competency's own settings previewed, as `overrides_from_form` gives them."""
    mastery_changed: int
    """People (of `people`) whose mastery of the competency would move (by 0.01 or more, or to
    or from no result)."""
    proficiency_changed: int
    """People (of `people`) who would become, or stop being, proficient in it: the engine's
    met_proficient, mastery at the proficient level with the minimum support behind it."""
    competency_changes: pd.DataFrame
    """One row per person whose mastery of it or proficiency would change: person, name,
    job_family, mastery_before, mastery_after (NaN for no result), proficient_before,
    proficient_after."""

    def summary(self) -> str:
        return (
            f"{self.levels_summary()}; the mastery of {self.code} would move for "
            f"{self.mastery_changed:,} of them, and {self.proficiency_changed:,} would become "
            "or stop being proficient in it."
        )

    def audit_counts(self) -> dict[str, int]:
        return {
            **super().audit_counts(),
            "people_changing_mastery": self.mastery_changed,
            "people_changing_proficiency": self.proficiency_changed,
        }


def preview_settings_change(
    session: Session,
    viewer: Viewer,
    framework_id: int,
    settings: MasterySettings,
    progress: Progress = no_progress,
    as_of: datetime | None = None,
) -> SettingsPreview:
    """Attained levels now and under the framework's `settings`, for everyone the viewer sees,
    writing nothing. The preview costs about one full roll-up (tens of seconds at 10,000 people
    and a million records), so the page runs it on request, with a progress bar."""
    ensure_can_edit(viewer)
    framework_of(session, framework_id)
    proposed = rules_with(session, frameworks={framework_id: settings})
    comparison = compare(session, viewer, proposed, progress, as_of or datetime.now(UTC))
    return SettingsPreview(
        framework_id=framework_id,
        settings=settings,
        pairs_changed=int(comparison.pairs["moved"].sum()),
        **comparison.levels(),
    )


def preview_competency_settings(
    session: Session,
    viewer: Viewer,
    competency_id: int,
    overrides: Mapping[str, Any],
    progress: Progress = no_progress,
    as_of: datetime | None = None,
) -> CompetencySettingsPreview:
    """Attained levels, and the mastery of the competency, now and with `overrides` (as
    `overrides_from_form` gives them; {} follows the framework in everything) as its own
    settings, for everyone on a pathway the viewer sees, writing nothing.

    The save recomputes the competency for everyone with evidence of it; the preview counts
    those on a pathway, whose levels it can move. It reads everyone's evidence, as a framework
    preview does, since a level rests on every competency, but weighs only this competency's
    twice.
    """
    ensure_can_edit(viewer)
    competency = competency_of(session, competency_id)
    wanted = dict(overrides)
    proposed = rules_with(session, competencies={competency_id: wanted})
    comparison = compare(session, viewer, proposed, progress, as_of or datetime.now(UTC))
    pairs = comparison.pairs[comparison.pairs["competency_id"] == competency_id]
    people = comparison.assessed[["person", "name", "job_family"]]
    changes = pairs.merge(people, left_on="person_id", right_index=True).sort_values(
        ["job_family", "name"]
    )
    flipped = changes["proficient_before"] != changes["proficient_after"]
    return CompetencySettingsPreview(
        competency_id=competency_id,
        code=competency.code,
        overrides=wanted,
        mastery_changed=int(changes["moved"].sum()),
        proficiency_changed=int(flipped.sum()),
        competency_changes=changes[COMPETENCY_CHANGE_COLUMNS].reset_index(drop=True),
        **comparison.levels(),
    )
