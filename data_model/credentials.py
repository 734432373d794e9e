"""A learner's record to take away: the competency levels they have achieved, as Open Badges 3.0
credentials wrapped in a Comprehensive Learner Record (CLR 2.0).

"Achieved" is the pathway rule for a requirement: level L of a competency is achieved when
mastery reaches L and the support at L reaches the minimum support. Each competency gives one
OpenBadgeCredential (achievementType Competency) aligned to the framework's competency, with a
rubric result naming the level, so that any Open Badges 3.0 reader (Pathwise's own importer
included) reads the level back on the same scale.

The credentials are UNSIGNED: Pathwise holds no issuer key, so there is no `proof`, and every
credential says so in its description and its evidence. A verifier must treat them as a
self-service export, not as a verifiable credential.
"""

import uuid
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from data_model.access import Viewer, ensure_can_view
from data_model.evidence_source import competency_rules
from data_model.models import Competency, Framework, Person
from data_model.queries.mastery import _materialised

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
CLR_CONTEXT = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"
OB_SCHEMA = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
)
CLR_SCHEMA = (
    "https://purl.imsglobal.org/spec/clr/v2p0/schema/json/clr_v2p0_clrcredential_schema.json"
)
SCHEMA_VALIDATOR = "1EdTechJsonSchemaValidator2019"
ISSUER_ID = "urn:pathwise:issuer"
NAMESPACE = uuid.UUID("6f1c0a52-9d53-4c1e-9d0e-2f6a4c8b7d31")
"""For stable credential ids: the same person, competency and level give the same id."""
UNSIGNED = (
    "Unsigned: exported by Pathwise without a proof or issuer signature, so it cannot be "
    "cryptographically verified. Ask the organisation to confirm it."
)


class NothingAchieved(LookupError):
    """A CLR must carry at least one credential; there is none to carry yet."""


ACHIEVED_COLUMNS = [
    "competency_id", "code", "name", "category", "framework", "level", "label", "mastery",
    "support", "evidence_count", "last_evidence_at", "scale_min", "scale_max", "labels",
]  # fmt: skip


def achieved_competencies(session: Session, viewer: Viewer, person_id: int) -> pd.DataFrame:
    """The highest achieved level of each competency the person has achieved one of
    (ACHIEVED_COLUMNS), by category and name; scoped like every read of a person's data."""
    ensure_can_view(session, viewer, person_id)
    now = datetime.now(UTC)
    rules = competency_rules(session)
    mastery = _materialised(session, [person_id], rules, now)
    rows = []
    for row in mastery.to_dict("records"):
        settings = rules.frame.loc[row["competency_id"]]
        level = _achieved_level(row["mastery"], row["support_levels"], settings)
        if level is not None:
            labels = {int(key): text for key, text in (settings["labels"] or {}).items()}
            rows.append({
                "competency_id": int(row["competency_id"]), "level": level,
                "label": labels.get(level), "mastery": float(row["mastery"]),
                "support": float(row["support_levels"][level - 1]),
                "evidence_count": int(row["evidence_count"]),
                "last_evidence_at": row["last_evidence_at"],
                "scale_min": int(settings["scale_min"]), "scale_max": int(settings["scale_max"]),
                "labels": labels,
            })  # fmt: skip
    if not rows:
        return pd.DataFrame(columns=ACHIEVED_COLUMNS)
    names = pd.DataFrame(
        session.execute(
            select(
                Competency.id, Competency.code, Competency.name, Competency.category,
                Framework.name,
            ).join(Framework, Framework.id == Competency.framework_id)
        ).all(),
        columns=["competency_id", "code", "name", "category", "framework"],
    )  # fmt: skip
    names["category"] = names["category"].astype(str)
    frame = pd.DataFrame(rows).merge(names, on="competency_id")
    return frame.sort_values(["category", "name"])[ACHIEVED_COLUMNS].reset_index(drop=True)


def _achieved_level(mastery: float, support_levels: list[float], settings: pd.Series) -> int | None:
    """The highest whole level L >= 1 with mastery >= L and support_L >= the minimum."""
    if mastery is None or mastery != mastery or not isinstance(support_levels, list):
        return None
    top = min(int(np.floor(mastery + 1e-9)), len(support_levels), int(settings["scale_max"]))
    minimum = float(settings["minimum_support"])
    for level in range(top, max(int(settings["scale_min"]), 0), -1):
        if support_levels[level - 1] >= minimum - 1e-9:
            return level
    return None


def _moment(when: datetime | pd.Timestamp | None) -> str:
    moment = pd.Timestamp(when if when is not None else datetime.now(UTC))
    moment = moment.tz_localize(UTC) if moment.tzinfo is None else moment.tz_convert(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _issuer(organisation: str) -> dict[str, Any]:
    return {"id": ISSUER_ID, "type": ["Profile"], "name": organisation}


def _identifier(email: str) -> list[dict[str, Any]]:
    return [
        {
            "type": ["IdentityObject"],
            "identityHash": email,
            "identityType": "emailAddress",
            "hashed": False,
        }
    ]


def _level_id(code: str, level: int) -> str:
    return f"urn:pathwise:competency:{code}:level:{level}"


def _achievement(item: dict[str, Any]) -> dict[str, Any]:
    code = item["code"]
    description_id = f"urn:pathwise:competency:{code}:scale"
    levels = range(item["scale_min"], item["scale_max"] + 1)
    return {
        "id": f"urn:pathwise:competency:{code}",
        "type": ["Achievement"],
        "achievementType": "Competency",
        "name": item["name"],
        "description": f"{item['name']} ({code}), a {item['category']} competency of the "
        f"{item['framework']} framework.",
        "criteria": {
            "narrative": "Level L is achieved when mastery, weighed from the learner's "
            "evidence, reaches L and the evidence behind it reaches the framework's minimum "
            "support."
        },
        "alignment": [
            {
                "type": ["Alignment"],
                "targetName": item["name"],
                "targetCode": code,
                "targetFramework": item["framework"],
                "targetType": "ext:PathwiseCompetency",
                "targetUrl": f"urn:pathwise:competency:{code}",
            }
        ],
        "resultDescription": [
            {
                "id": description_id,
                "type": ["ResultDescription"],
                "name": f"Level of {item['name']}",
                "resultType": "RubricCriterionLevel",
                "rubricCriterionLevel": [
                    {
                        "id": _level_id(code, level),
                        "type": ["RubricCriterionLevel"],
                        "name": item["labels"].get(level) or f"Level {level}",
                        "level": str(level),
                    }
                    for level in levels
                ],
            }
        ],
    }


def badge(item: dict[str, Any], email: str, organisation: str) -> dict[str, Any]:
    """One unsigned OpenBadgeCredential for one achieved competency level (a row of
    `achieved_competencies` as a dict)."""
    code, level = item["code"], int(item["level"])
    label = item["label"] or f"level {level}"
    achievement = _achievement(item)
    return {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": f"urn:uuid:{uuid.uuid5(NAMESPACE, f'{email}|{code}|{level}')}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": f"{item['name']}: {label}",
        "description": f"{item['name']} achieved at level {level} ({label}). {UNSIGNED}",
        "issuer": _issuer(organisation),
        "validFrom": _moment(item["last_evidence_at"]),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": _identifier(email),
            "achievement": achievement,
            "result": [
                {
                    "type": ["Result"],
                    "resultDescription": achievement["resultDescription"][0]["id"],
                    "achievedLevel": _level_id(code, level),
                }
            ],
        },
        "evidence": [
            {
                "type": ["Evidence"],
                "name": "Pathwise learning records",
                "description": f"Mastery {item['mastery']:.2f} from "
                f"{int(item['evidence_count'])} learning records, support "
                f"{item['support']:.2f} at level {level}. {UNSIGNED}",
            }
        ],
        "credentialSchema": [{"id": OB_SCHEMA, "type": SCHEMA_VALIDATOR}],
    }


def learner_record(
    session: Session, viewer: Viewer, person_id: int, organisation: str = "Pathwise"
) -> dict[str, Any]:
    """The person's achieved competencies as one unsigned CLR 2.0 ClrCredential carrying an
    OpenBadgeCredential per competency; `NothingAchieved` when there is no level to carry."""
    achieved = achieved_competencies(session, viewer, person_id)
    if achieved.empty:
        raise NothingAchieved("No competency level is achieved yet, so there is no record.")
    person = session.execute(
        select(Person.name, Person.email, Person.external_id).where(Person.id == person_id)
    ).one()
    badges = [badge(item, person.email, organisation) for item in achieved.to_dict("records")]
    return {
        "@context": [VC_CONTEXT, CLR_CONTEXT, OB_CONTEXT],
        "id": f"urn:uuid:{uuid.uuid4()}",
        "type": ["VerifiableCredential", "ClrCredential"],
        "name": f"Learner record of {person.name}",
        "description": f"The competencies {person.name} has achieved, as Pathwise shows them on "
        f"{_moment(None)[:10]}: {len(badges)} competencies. {UNSIGNED}",
        "issuer": _issuer(organisation),
        "validFrom": _moment(None),
        "credentialSubject": {
            "type": ["ClrSubject"],
            "identifier": _identifier(person.email),
            "verifiableCredential": badges,
            "achievement": [item["credentialSubject"]["achievement"] for item in badges],
        },
        "credentialSchema": [{"id": CLR_SCHEMA, "type": SCHEMA_VALIDATOR}],
    }
