"""Who may see whom. Every read of a person's data joins against `visible_people`.

Deny by default: a learner sees themselves, a manager also everyone below them in the
reporting chain, an L&D admin and the local operator (the command line without `--as`) everyone.
"""

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Select, exists, func, literal, select
from sqlalchemy.orm import Session

from data_model.models import Person, Role, RoleGrant


class NotPermitted(Exception):
    """The viewer asked for data outside their scope.

    `target_type` and `target_id` name what was asked for (a person, a page, the audit
    trail), so that whoever catches the refusal can log it to the audit trail.
    """

    def __init__(self, target_type: str | None = None, target_id: object = None) -> None:
        super().__init__("not permitted")
        self.target_type = target_type
        self.target_id = target_id


@dataclass(frozen=True)
class Viewer:
    """The person looking, resolved once per session from the roster."""

    person_id: int | None
    email: str
    name: str
    is_ld_admin: bool = False
    is_manager: bool = False
    is_operator: bool = False

    @property
    def sees_everyone(self) -> bool:
        return self.is_ld_admin or self.is_operator


OPERATOR = Viewer(person_id=None, email="operator", name="Local operator", is_operator=True)


def viewer_for_email(session: Session, email: str) -> Viewer | None:
    """The active roster person with this email, with their roles; None when not in the roster."""
    person = session.scalar(
        select(Person).where(func.lower(Person.email) == email.strip().lower(), Person.active)
    )
    if person is None:
        return None
    return viewer_for_person(session, person)


def viewer_for_person(session: Session, person: Person) -> Viewer:
    is_ld_admin = bool(
        session.scalar(
            select(
                exists().where(
                    func.lower(RoleGrant.email) == person.email.lower(),
                    RoleGrant.role == Role.LD_ADMIN,
                )
            )
        )
    )
    is_manager = bool(
        session.scalar(
            select(exists().where(Person.manager_id == person.id, Person.active.is_(True)))
        )
    )
    return Viewer(
        person_id=person.id,
        email=person.email,
        name=person.name,
        is_ld_admin=is_ld_admin,
        is_manager=is_manager,
    )


def visible_people(viewer: Viewer) -> Select[tuple[int]]:
    """The ids of everyone `viewer` may see, as a subquery to join or filter against."""
    if viewer.sees_everyone:
        return select(Person.id)
    if viewer.person_id is None:
        return select(Person.id).where(literal(False))
    chain = select(Person.id).where(Person.id == viewer.person_id).cte("chain", recursive=True)
    below = select(Person.id).join(chain, Person.manager_id == chain.c.id)
    chain = chain.union(below)
    return select(chain.c.id)


def as_line_manager(viewer: Viewer) -> Viewer:
    """The viewer with only their reporting chain in scope, whatever other roles they hold.

    For what rests on the reporting line rather than on what someone may see (attesting,
    verifying): an L&D admin's or the operator's wider view does not make them a witness."""
    return Viewer(person_id=viewer.person_id, email=viewer.email, name=viewer.name)


def ensure_can_view(session: Session, viewer: Viewer, person_id: int) -> None:
    """Raise `NotPermitted` unless `person_id` is within the viewer's scope."""
    allowed = session.scalar(
        select(exists().where(visible_people(viewer).subquery().c.id == person_id))
    )
    if not allowed:
        raise NotPermitted("person", person_id)


def visible_person_id(session: Session, viewer: Viewer, external_id: str) -> int:
    """The id of the person with this external id, when the viewer may see them.

    Someone outside the scope and someone who does not exist get the same `NotPermitted`, so
    a URL cannot be used to find out who is in the roster.
    """
    person_id = session.scalar(
        select(Person.id).where(
            Person.external_id == external_id, Person.id.in_(visible_people(viewer))
        )
    )
    if person_id is None:
        raise NotPermitted("person", external_id)
    return person_id


def ensure_sees_everyone(viewer: Viewer, what: str) -> None:
    """Raise `NotPermitted` unless the viewer is an L&D admin or the operator."""
    if not viewer.sees_everyone:
        raise NotPermitted(what)


def claims_grant_ld_admin(claims: Mapping[str, Any], claim: str | None, value: str | None) -> bool:
    """Whether the sign-in's `claim` holds `value` (a string claim, or one item of a list).

    Lets an identity provider's group name L&D admins instead of (or as well as) the
    role_grants table; with no claim configured it never does.
    """
    if not claim or not value:
        return False
    held = claims.get(claim)
    if isinstance(held, str):
        return held == value
    if isinstance(held, list | tuple):
        return value in held
    return False


def with_claimed_roles(
    viewer: Viewer, claims: Mapping[str, Any], claim: str | None, value: str | None
) -> Viewer:
    """The viewer, made an L&D admin when their sign-in claims say so."""
    if viewer.is_ld_admin or not claims_grant_ld_admin(claims, claim, value):
        return viewer
    return replace(viewer, is_ld_admin=True)
