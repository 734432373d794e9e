"""Choices for mapping an unknown key: the catalogue's activities and the people in scope."""

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from data_model.access import Viewer, visible_people
from data_model.models import Activity, Person
from data_model.queries.evidence import read_frame


def activity_options(session: Session) -> pd.DataFrame:
    """Every catalogue activity, by title. The catalogue is the organisation's structure, not
    anyone's data, so it is not scoped. Columns: external_id, title, kind."""
    frame = read_frame(
        session,
        select(Activity.external_id, Activity.title, Activity.kind).order_by(
            Activity.title, Activity.external_id
        ),
    )
    frame["kind"] = frame["kind"].astype(str)
    return frame


def people_options(session: Session, viewer: Viewer) -> pd.DataFrame:
    """The people the viewer may see, by name, leavers included (records arrive for them
    too). Columns: external_id, name, email, active."""
    return read_frame(
        session,
        select(Person.external_id, Person.name, Person.email, Person.active)
        .where(Person.id.in_(visible_people(viewer)))
        .order_by(Person.name, Person.email),
    )
