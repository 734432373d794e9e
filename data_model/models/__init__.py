"""Every table of Pathwise; importing this package registers them all on `Base.metadata`."""

from data_model.models.audit import AuditEntry
from data_model.models.base import Base
from data_model.models.catalogue import Activity, ActivityCompetency
from data_model.models.frameworks import (
    Competency,
    Framework,
    JobFamily,
    LevelDescriptor,
    LevelRequirement,
    PathwayLevel,
)
from data_model.models.goals import GoalStatus, LearningGoal
from data_model.models.imports import (
    ColumnMapping,
    ImportBatch,
    KeyAlias,
    RejectedRow,
    UnmappedRecord,
)
from data_model.models.mastery import MasteryScore
from data_model.models.people import Person, RoleGrant
from data_model.models.records import LearningRecord
from data_model.models.vocabulary import (
    SOURCE_OF_ACTIVITY,
    ActivityKind,
    BatchStatus,
    CompetencyCategory,
    Role,
    Scoring,
    SourceKind,
    Verification,
)

__all__ = [
    "SOURCE_OF_ACTIVITY",
    "Activity",
    "ActivityCompetency",
    "ActivityKind",
    "AuditEntry",
    "Base",
    "BatchStatus",
    "ColumnMapping",
    "Competency",
    "CompetencyCategory",
    "Framework",
    "GoalStatus",
    "ImportBatch",
    "JobFamily",
    "KeyAlias",
    "LearningGoal",
    "LearningRecord",
    "LevelDescriptor",
    "LevelRequirement",
    "MasteryScore",
    "PathwayLevel",
    "Person",
    "RejectedRow",
    "Role",
    "RoleGrant",
    "Scoring",
    "SourceKind",
    "UnmappedRecord",
    "Verification",
]
