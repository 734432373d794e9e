"""Verification requests after the roster changes, on both backends: a request whose verifier
no longer stands above the learner is answered by no one, shown to the learner to re-send, and
listed for L&D.

The roster comes in through the roster importer, as it does in production: T runs the
organisation; M and O report to T; P reports to M; X reports to P. M also holds the L&D admin
role, so the tests show that seeing everyone does not make someone a verifier. P logs one piece
of informal learning, asking M.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session

from data_model import informal
from data_model.access import NotPermitted, Viewer, viewer_for_person
from data_model.models import (
    AuditEntry,
    Competency,
    CompetencyCategory,
    Framework,
    LearningRecord,
    Person,
    Role,
    RoleGrant,
    Verification,
)
from data_model.queries.stranded import (
    INACTIVE,
    NO_VERIFIER,
    NOT_IN_LINE,
    person_stranded_requests,
    stranded_requests,
)
from data_model.verification import accept, decline, verification_inbox
from loaders.roster_csv import import_roster

TODAY = datetime.now(UTC).date()
HEADER = "person_id,name,email,manager_id,active"
ROSTER = {"T": "", "M": "T", "O": "T", "P": "M", "X": "P"}


@dataclass(frozen=True)
class Org:
    engine: Engine
    folder: Path
    people: dict[str, int]
    competency: int

    def viewer(self, key: str) -> Viewer:
        with Session(self.engine) as session:
            person = session.get(Person, self.people[key])
            assert person is not None
            return viewer_for_person(session, person)

    def import_roster(self, inactive: frozenset[str] = frozenset(), **managers: str) -> None:
        """Import the whole roster again, with `managers` changed and `inactive` people out."""
        lines = [HEADER]
        for key, manager in (ROSTER | managers).items():
            active = "no" if key in inactive else "yes"
            lines.append(f"{key},Person {key},{key.lower()}@example.com,{manager},{active}")
        path = self.folder / f"roster-{len(list(self.folder.iterdir()))}.csv"
        path.write_text("\n".join(lines) + "\n")
        summary = import_roster(self.engine, path)
        assert summary.loaded == len(ROSTER), summary

    def log(self, who: str = "P", verifier: str = "M", title: str = "Ran the data review") -> int:
        entry = {"title": title, "kind": "project", "level": 3.0, "occurred_on": TODAY,
                 "competency_ids": (self.competency,),
                 "verifier_id": self.people[verifier]}  # fmt: skip
        with Session(self.engine) as session, session.begin():
            logged = informal.log_informal_learning(
                session, self.viewer(who), self.people[who], entry
            )
        return logged.record_ids[0]


@pytest.fixture
def org(engine: Engine, tmp_path: Path) -> Org:
    with Session(engine) as session, session.begin():
        framework = Framework(code="T", name="Tiny", scale_min=0, scale_max=5, proficient_level=3)
        session.add(Competency(framework=framework, code="A", name="Analysis",
                               category=CompetencyCategory.TECHNICAL))  # fmt: skip
        session.add(RoleGrant(email="m@example.com", role=Role.LD_ADMIN, granted_by="operator"))
    built = Org(engine, tmp_path, {}, 0)
    built.import_roster()
    with Session(engine) as session:
        people = dict(session.execute(select(Person.external_id, Person.id)).all())
        competency = session.scalar(select(Competency.id))
    assert competency is not None
    return Org(engine, tmp_path, people, competency)


def audit_actions(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def stored(engine: Engine, record_id: int) -> LearningRecord:
    with Session(engine) as session:
        record = session.get(LearningRecord, record_id)
        assert record is not None
        return record


# The inbox follows today's reporting line ------------------------------------------------------


def test_before_a_move_the_verifier_sees_and_may_answer_the_request(org: Org) -> None:
    record_id = org.log()
    with Session(org.engine) as session:
        assert verification_inbox(session, org.viewer("M"))["record_id"].tolist() == [record_id]
        assert person_stranded_requests(session, org.viewer("P"), org.people["P"]).empty
        assert stranded_requests(session, org.viewer("M")).empty


def test_after_the_learner_moves_the_old_verifier_neither_sees_nor_answers_it(org: Org) -> None:
    record_id = org.log()
    org.import_roster(P="O")
    old = org.viewer("M")
    assert old.is_ld_admin, "M sees everyone, yet is no longer someone P reports to"

    with Session(org.engine) as session:
        assert verification_inbox(session, old).empty
    for answer in (accept, lambda s, v, r: decline(s, v, r, "Not my team any more")):
        with Session(org.engine) as session, session.begin(), pytest.raises(NotPermitted):
            answer(session, old, record_id)
    assert stored(org.engine, record_id).verification is Verification.PENDING
    assert "verification_accepted" not in audit_actions(org.engine)


def test_a_request_from_a_learner_who_left_is_neither_shown_nor_answered(org: Org) -> None:
    record_id = org.log()
    org.import_roster(frozenset("P"))
    verifier = org.viewer("M")

    with Session(org.engine) as session:
        assert verification_inbox(session, verifier).empty
    for answer in (accept, lambda s, v, r: decline(s, v, r, "They have left")):
        with Session(org.engine) as session, session.begin(), pytest.raises(NotPermitted):
            answer(session, verifier, record_id)
    assert stored(org.engine, record_id).verification is Verification.PENDING
    assert not {"verification_accepted", "verification_declined"} & set(audit_actions(org.engine))


# What the learner sees, and re-sending ----------------------------------------------------------


@pytest.mark.parametrize(
    ("managers", "inactive", "why"),
    [
        ({"P": "O"}, "", NOT_IN_LINE),
        ({"M": "", "P": "T"}, "", NOT_IN_LINE),
        ({"P": "T"}, "M", INACTIVE),
        ({}, "M", INACTIVE),
    ],
    ids=["learner moved", "learner moved up", "verifier left", "verifier left, team stayed"],
)
def test_the_learner_sees_each_request_the_roster_stranded_and_why(
    org: Org, managers: dict[str, str], inactive: str, why: str
) -> None:
    stranded_id = org.log(verifier="M", title="Asked M")
    still_fine = org.log(verifier="T", title="Asked T")
    org.import_roster(frozenset(inactive), **managers)

    with Session(org.engine) as session:
        mine = person_stranded_requests(session, org.viewer("P"), org.people["P"])
    assert mine["record_id"].tolist() == [stranded_id]
    row = mine.iloc[0]
    assert (row["what"], row["competency"], row["verifier"], row["why"]) == (
        "Asked M", "Analysis", "Person M", why,
    )  # fmt: skip
    assert still_fine not in mine["record_id"].tolist()


def test_a_request_whose_verifier_was_removed_from_the_roster_is_stranded(org: Org) -> None:
    record_id = org.log()
    with Session(org.engine) as session, session.begin():
        session.execute(delete(Person).where(Person.id == org.people["M"]))
    with Session(org.engine) as session:
        mine = person_stranded_requests(session, org.viewer("P"), org.people["P"])
    assert mine[["record_id", "why"]].values.tolist() == [[record_id, NO_VERIFIER]]
    assert mine["verifier"].isna().all()


def test_re_sending_asks_someone_in_the_line_now_and_is_audited(org: Org) -> None:
    record_id = org.log()
    org.import_roster(P="O")

    with Session(org.engine) as session, session.begin():
        moved = informal.reassign_verifier(session, org.viewer("P"), record_id, org.people["O"])
    assert moved == informal.Reassigned(record_id, org.people["M"], org.people["O"])

    record = stored(org.engine, record_id)
    assert (record.verification, record.verified_by_id) == (Verification.PENDING, org.people["O"])
    with Session(org.engine) as session:
        assert verification_inbox(session, org.viewer("O"))["record_id"].tolist() == [record_id]
        assert verification_inbox(session, org.viewer("M")).empty
        assert person_stranded_requests(session, org.viewer("P"), org.people["P"]).empty
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "verification_reassigned")
        ).one()
    assert entry.actor == "p@example.com"
    assert (entry.target_type, entry.target_id) == ("learning_record", str(record_id))
    assert entry.details == {"person_id": org.people["P"], "from_verifier_id": org.people["M"],
                             "to_verifier_id": org.people["O"]}  # fmt: skip
    with Session(org.engine) as session, session.begin():
        accept(session, org.viewer("O"), record_id)
    assert stored(org.engine, record_id).verification is Verification.VERIFIED


@pytest.mark.parametrize(
    ("to", "message"),
    [
        ("M", "Ask someone you report to"),
        ("X", "Ask someone you report to"),
        ("P", "Ask someone you report to"),
        ("O", "already asked"),
    ],
)
def test_re_sending_is_refused_as_logging_would_be(org: Org, to: str, message: str) -> None:
    record_id = org.log(verifier="M")
    org.import_roster(P="O")
    with Session(org.engine) as session, session.begin():
        informal.reassign_verifier(session, org.viewer("P"), record_id, org.people["O"])
    before = audit_actions(org.engine)

    with (
        Session(org.engine) as session,
        session.begin(),
        pytest.raises(informal.InvalidEntry, match=message),
    ):
        informal.reassign_verifier(session, org.viewer("P"), record_id, org.people[to])
    assert stored(org.engine, record_id).verified_by_id == org.people["O"]
    assert audit_actions(org.engine) == before


def test_only_the_learner_re_sends_and_only_what_still_waits(org: Org) -> None:
    record_id = org.log()
    for who in ("M", "T", "X"):
        with Session(org.engine) as session, session.begin(), pytest.raises(NotPermitted):
            informal.reassign_verifier(session, org.viewer(who), record_id, org.people["T"])
    with Session(org.engine) as session, session.begin(), pytest.raises(NotPermitted):
        informal.reassign_verifier(session, org.viewer("P"), record_id + 99, org.people["T"])
    with Session(org.engine) as session, session.begin():
        accept(session, org.viewer("M"), record_id)
    with (
        Session(org.engine) as session,
        session.begin(),
        pytest.raises(informal.InvalidEntry, match="still awaiting verification"),
    ):
        informal.reassign_verifier(session, org.viewer("P"), record_id, org.people["T"])
    assert stored(org.engine, record_id).verified_by_id == org.people["M"]
    assert "verification_reassigned" not in audit_actions(org.engine)


# What L&D sees -----------------------------------------------------------------------------


def test_ld_admins_see_every_stranded_request_and_no_one_else_does(org: Org) -> None:
    from_p = org.log(who="P", verifier="M", title="P asked M")
    from_x = org.log(who="X", verifier="M", title="X asked M")
    org.log(who="X", verifier="T", title="X asked T")
    org.log(who="M", verifier="T", title="M asked T")
    org.import_roster(P="O", X="O")

    with Session(org.engine) as session:
        listed = stranded_requests(session, org.viewer("M"))
        assert set(listed["record_id"]) == {from_p, from_x}
        assert set(listed["person"]) == {"Person P", "Person X"}
        assert set(listed["why"]) == {NOT_IN_LINE}
        for who in ("T", "O", "P"):
            with pytest.raises(NotPermitted):
                stranded_requests(session, org.viewer(who))
        with pytest.raises(NotPermitted):
            person_stranded_requests(session, org.viewer("O"), org.people["M"])


def test_requests_of_people_who_left_are_not_listed(org: Org) -> None:
    org.log(who="X", verifier="P")
    org.import_roster(frozenset("X"), X="O")
    with Session(org.engine) as session:
        assert stranded_requests(session, org.viewer("M")).empty
        count = session.scalar(
            select(func.count(LearningRecord.id)).where(
                LearningRecord.verification == Verification.PENDING
            )
        )
    assert count == 1
