"""Editing a framework from the app: competencies and their level descriptors, pathway levels
and their requirements, and the mastery settings (the framework's and a competency's own), with
a preview of what a settings change would do to people's attained levels (and, for one
competency, to their mastery of it) before it is saved. For L&D admins (and the operator)
only: every function here refuses anyone else with `NotPermitted`.

Structural edits go through the framework importer's own write path: the stored framework is
read back as a `FrameworkSpec`, the one edited item is replaced, and `apply_framework` brings
the database in line. So an edit is validated exactly as an imported file is (text, scale,
requirement levels), rows are updated in place (ids survive), and the change report reads
as an import's does. None of these edits moves mastery (requirements only decide which level a
mastery reaches), so only a settings change, the framework's or one competency's, recomputes it.

Adding a competency or a pathway level goes the same way. Removing goes further than an import
ever does (an import keeps what a file no longer names), so it is refused whenever something
would be lost with it: a competency that learning records, goals or catalogue activities point
at, or a level that is someone's title level or the aim of an active goal.

The modules, by job: `outline` reads a framework for the page; `descriptors` and
`requirements` edit in place; `structure` adds and removes competencies and levels;
`settings_form` checks settings as the page gives them; `preview` (on `comparison`) shows what
a settings change would do, and `settings` saves it; `document` is the write path they share
with the importer, and `common` the refusal, the permission check and the look-ups.
"""

from loaders.framework_edit.common import EditRefused, Progress, ensure_can_edit
from loaders.framework_edit.descriptors import update_competency, update_level
from loaders.framework_edit.outline import FrameworkOutline, framework_outline, frameworks
from loaders.framework_edit.preview import (
    CompetencySettingsPreview,
    LevelPreview,
    SettingsPreview,
    preview_competency_settings,
    preview_settings_change,
)
from loaders.framework_edit.requirements import update_requirement
from loaders.framework_edit.settings import (
    CompetencySettingsSaved,
    SettingsSaved,
    save_competency_settings,
    save_settings,
)
from loaders.framework_edit.settings_form import (
    METHODS,
    overrides_from_form,
    settings_differences,
    settings_from_form,
)
from loaders.framework_edit.structure import (
    CompetencyRemoved,
    add_competency,
    add_level,
    remove_competency,
    remove_level,
)

__all__ = [
    "METHODS",
    "CompetencyRemoved",
    "CompetencySettingsPreview",
    "CompetencySettingsSaved",
    "EditRefused",
    "FrameworkOutline",
    "LevelPreview",
    "Progress",
    "SettingsPreview",
    "SettingsSaved",
    "add_competency",
    "add_level",
    "ensure_can_edit",
    "framework_outline",
    "frameworks",
    "overrides_from_form",
    "preview_competency_settings",
    "preview_settings_change",
    "remove_competency",
    "remove_level",
    "save_competency_settings",
    "save_settings",
    "settings_differences",
    "settings_from_form",
    "update_competency",
    "update_level",
    "update_requirement",
]
