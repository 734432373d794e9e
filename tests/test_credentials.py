"""My record: achieved levels as unsigned Open Badges 3.0 in a CLR 2.0, and the one-page PDF.

The JSON is checked three ways: against the shape of the 1EdTech validator and specification
vectors in ../shared/data (the paths and JSON types every credential there has), by Pathwise's
own Open Badges importer reading it back to the same levels, and for what it must never claim
(a proof).
"""

import io
import json
import re
import zlib
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from data_model import credentials, record_pdf
from data_model.access import NotPermitted
from data_model.informal import rate_myself
from data_model.models import LearningRecord, SourceKind, Verification
from data_model.rollup import refresh_pairs
from loaders.badges import BadgesImporter, competency_scales
from loaders.record_input import RecordInput
from tests.conftest import SHARED_DATA, skip_or_fail
from tests.learner_org import Org, build_org

VECTORS = SHARED_DATA / "badges"
BADGE_VECTOR = VECTORS / "ob3-spec-examples" / "skillAssertionCase_0.json"
CLR_VECTOR = VECTORS / "1edtech-validator-vectors" / "clr20" / "simple-noproof.json"
BADGE_SHAPE = [
    "@context", "id", "type", "name", "description", "issuer.id", "issuer.type", "issuer.name",
    "validFrom", "credentialSubject.type", "credentialSubject.achievement.id",
    "credentialSubject.achievement.type", "credentialSubject.achievement.name",
    "credentialSubject.achievement.description", "credentialSubject.achievement.criteria",
    "credentialSubject.achievement.achievementType",
    "credentialSubject.achievement.alignment[].type",
    "credentialSubject.achievement.alignment[].targetName",
    "credentialSubject.achievement.alignment[].targetUrl",
    "credentialSubject.achievement.alignment[].targetType",
    "credentialSubject.achievement.alignment[].targetFramework",
    "evidence[].type", "evidence[].name", "evidence[].description",
    "credentialSchema[].id", "credentialSchema[].type",
]  # fmt: skip
"""What an Open Badges 3.0 skill assertion has; each path is checked in the spec vector too."""
CLR_SHAPE = [
    "@context", "id", "type", "name", "issuer.id", "issuer.type", "issuer.name",
    "credentialSubject.type", "credentialSubject.verifiableCredential[].@context",
    "credentialSubject.verifiableCredential[].id",
    "credentialSubject.verifiableCredential[].type",
    "credentialSubject.verifiableCredential[].issuer.id",
    "credentialSubject.verifiableCredential[].name",
    "credentialSubject.verifiableCredential[].credentialSubject.type",
    "credentialSubject.verifiableCredential[].credentialSubject.achievement.id",
    "credentialSubject.verifiableCredential[].credentialSubject.achievement.name",
    "credentialSubject.achievement[].id", "credentialSubject.achievement[].type",
    "credentialSubject.achievement[].name", "credentialSubject.achievement[].criteria",
    "credentialSubject.achievement[].description",
    "credentialSchema[].id", "credentialSchema[].type",
]  # fmt: skip
"""What a CLR 2.0 has; each path is checked in the validator's vector too."""


@pytest.fixture
def org(engine: Engine) -> Org:
    return build_org(engine)


def shape(document: Any, prefix: str = "") -> dict[str, set[str]]:
    """Every path of a JSON document (list items as `[]`) with the JSON types found there."""
    found: dict[str, set[str]] = {}

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            found.setdefault(path, set()).add("object")
            for key, value in node.items():
                walk(value, f"{path}.{key}" if path else key)
        elif isinstance(node, list):
            found.setdefault(path, set()).add("array")
            for item in node:
                walk(item, f"{path}[]")
        else:
            found.setdefault(path, set()).add(type(node).__name__)

    walk(document, prefix)
    return found


def keys_anywhere(document: Any) -> Iterator[str]:
    if isinstance(document, dict):
        for key, value in document.items():
            yield key
            yield from keys_anywhere(value)
    elif isinstance(document, list):
        for item in document:
            yield from keys_anywhere(item)


def vector(path: Path) -> dict[str, Any]:
    if not path.exists():
        skip_or_fail(f"the Open Badges vectors are not at {path.parent} (../shared is absent)")
    return json.loads(path.read_text(encoding="utf-8"))


def record(engine: Engine, org: Org, who: str = "P") -> dict[str, Any]:
    with Session(engine) as session:
        return credentials.learner_record(session, org.viewer(engine, who), org.people[who])


def test_a_level_is_achieved_only_with_enough_support(engine: Engine, org: Org) -> None:
    viewer = org.viewer(engine, "P")
    with Session(engine) as session, session.begin():
        rate_myself(session, viewer, org.people["P"], {"competency_id": org.competencies["B"],
                                                       "rating": 4})  # fmt: skip
    with Session(engine) as session:
        achieved = credentials.achieved_competencies(session, viewer, org.people["P"])

    # A: one fresh attestation of 2 (weight 0.8 >= 0.5). B: a lone self-rating (0.3), no level.
    assert achieved[["code", "level", "label"]].to_dict("records") == [
        {"code": "A", "level": 2, "label": "Foundation"}
    ]
    assert achieved["evidence_count"].tolist() == [1]


def test_the_record_has_the_shape_of_the_open_badges_and_clr_vectors(
    engine: Engine, org: Org
) -> None:
    clr = record(engine, org)
    badge = clr["credentialSubject"]["verifiableCredential"][0]
    spec_badge, spec_clr = vector(BADGE_VECTOR), vector(CLR_VECTOR)

    for expected, ours, theirs in ((BADGE_SHAPE, shape(badge), shape(spec_badge)),
                                   (CLR_SHAPE, shape(clr), shape(spec_clr))):  # fmt: skip
        for path in expected:
            assert path in theirs, f"{path} is not in the vector: fix the expected shape"
            assert path in ours, f"{path} is missing"
            assert ours[path] == theirs[path], (path, ours[path], theirs[path])
    assert "OpenBadgeCredential" in badge["type"]
    assert clr["type"] == ["VerifiableCredential", "ClrCredential"]
    assert badge["credentialSubject"]["achievement"]["achievementType"] == "Competency"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", badge["validFrom"])


def test_the_record_is_unsigned_and_says_so(engine: Engine, org: Org) -> None:
    clr = record(engine, org)

    assert "proof" not in set(keys_anywhere(clr))
    assert "Unsigned" in clr["description"]
    for badge in clr["credentialSubject"]["verifiableCredential"]:
        assert "Unsigned" in badge["description"]
        assert all("Unsigned" in item["description"] for item in badge["evidence"])


def test_an_open_badges_reader_gets_the_same_levels_back(engine: Engine, org: Org) -> None:
    with Session(engine) as session, session.begin():
        session.add(
            LearningRecord(
                dedupe_key="p-v-4", person_id=org.people["P"], competency_id=org.competencies["V"],
                rating=4.0, occurred_at=datetime.now(UTC) - timedelta(days=2),
                source_kind=SourceKind.ATTESTATION, verification=Verification.VERIFIED,
                verified_by_id=org.people["M"],
            )
        )  # fmt: skip
        session.flush()
        refresh_pairs(session, [(org.people["P"], org.competencies["V"])])
    clr = record(engine, org)
    with Session(engine) as session:
        importer = BadgesImporter(competency_scales(session))

    rows = list(importer.parse(io.BytesIO(json.dumps(clr).encode()), "record.json"))

    assert all(isinstance(row, RecordInput) for row in rows)
    read_back = {row.competency: row.rating for row in rows if isinstance(row, RecordInput)}
    assert read_back == {"A": 2.0, "V": 4.0}
    assert {row.person for row in rows if isinstance(row, RecordInput)} == {"p@example.com"}


def test_the_same_achievement_keeps_its_credential_id(engine: Engine, org: Org) -> None:
    first, second = record(engine, org), record(engine, org)

    def ids(clr: dict[str, Any]) -> list[str]:
        return [badge["id"] for badge in clr["credentialSubject"]["verifiableCredential"]]

    assert ids(first) == ids(second)
    assert first["id"] != second["id"]


def test_nothing_achieved_gives_no_record(engine: Engine, org: Org) -> None:
    with pytest.raises(credentials.NothingAchieved):
        record(engine, org, "X")


def test_the_record_is_read_within_the_viewers_scope(engine: Engine, org: Org) -> None:
    with pytest.raises(NotPermitted), Session(engine) as session:
        credentials.learner_record(session, org.viewer(engine, "O"), org.people["P"])


def page(achieved: pd.DataFrame, name: str = "Pat Lee") -> record_pdf.RecordPage:
    return record_pdf.RecordPage(
        name=name, email="pat@example.com", where="Level 1 · Family F",
        standing="Level attained 1; readiness for the next level 33%.", achieved=achieved,
        generated_on=date(2026, 11, 29),
    )  # fmt: skip


def pages_in(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page\b", pdf))


def title_of(pdf: bytes) -> str:
    """The document title: fpdf2 writes ASCII as a literal, anything else as UTF-16 hex."""
    literal = re.search(rb"/Title\s*\(([^)]*)\)", pdf)
    if literal is not None:
        return literal.group(1).decode("latin-1")
    found = re.search(rb"/Title\s*<feff([0-9a-f]+)>", pdf)
    assert found is not None
    return bytes.fromhex(found.group(1).decode()).decode("utf-16-be")


def page_text(pdf: bytes) -> bytes:
    """The page streams, inflated: text drawn in a core font shows there as written."""
    streams = re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, flags=re.S)
    inflated = []
    for stream in streams:
        try:
            inflated.append(zlib.decompress(stream))
        except zlib.error:
            inflated.append(stream)
    return b"\n".join(inflated)


def test_the_pdf_is_one_page_with_the_learners_name(engine: Engine, org: Org) -> None:
    with Session(engine) as session:
        achieved = credentials.achieved_competencies(
            session, org.viewer(engine, "P"), org.people["P"]
        )

    pdf = record_pdf.record_pdf(page(achieved))

    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")
    assert pages_in(pdf) == 1
    assert title_of(pdf) == "Learner record of Pat Lee"


def test_a_long_record_still_fits_one_page_and_any_name_prints(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    achieved = pd.DataFrame(
        [{"name": f"Competency {n}", "category": "technical", "level": 3, "label": "Practitioner",
          "mastery": 3.2, "evidence_count": 4} for n in range(60)]
    )  # fmt: skip
    monkeypatch.setattr(record_pdf, "UNICODE_FONTS", (Path("/nowhere/DejaVuSans.ttf"),))

    pdf = record_pdf.record_pdf(page(achieved, name="Zoë Łukasz 李"))

    assert pages_in(pdf) == 1
    assert title_of(pdf) == "Learner record of Zoë Łukasz 李"
    text = page_text(pdf)
    assert b"(Competency 27)" in text
    assert b"(Competency 28)" not in text
    assert b"and 32 more in the JSON export." in text
    assert b"Unsigned" in text
