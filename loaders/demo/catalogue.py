"""The demo activity catalogue: formal courses, assessments and certifications, and informal
projects, stretch assignments, portfolio pieces and mentoring, each tagged to competencies.
"""

from dataclasses import dataclass

from data_model.models import ActivityKind, CompetencyCategory, Scoring
from loaders.framework_yaml import CompetencySpec

CATALOGUE_HOST = "https://learning.demo.pathwise.example"
FORMAL_PROVIDERS = ("Pathwise Academy", "Brightline Learning", "Northwind Institute")

PROJECT_IDEAS = {
    "DA-SQL": "rebuild the customer data mart",
    "DA-STAT": "model churn drivers",
    "DA-VIZ": "redesign the weekly business review",
    "DA-PY": "automate the finance reconciliation",
    "DA-EXP": "run the onboarding pricing test",
    "DA-GOV": "document the marketing datasets",
    "SE-DES": "split the billing monolith",
    "SE-CODE": "refactor the payments client",
    "SE-TEST": "make the checkout tests reliable",
    "SE-OPS": "set service level objectives for search",
    "SE-SEC": "threat-model the login flow",
    "SE-DEL": "move the mobile app to trunk-based releases",
    "PR-COMM": "write the quarterly engineering update",
    "PR-STAKE": "run the analytics intake process",
    "PR-PROB": "lead the incident root-cause review",
    "PR-MENT": "buddy two new joiners",
    "PR-LEAD": "lead the cross-team migration",
}


@dataclass(frozen=True)
class DemoActivity:
    external_id: str
    title: str
    kind: ActivityKind
    formal: bool
    provider: str
    hours: float
    target_level: int
    competency: str
    secondary: tuple[str, int] | None = None
    scoring: Scoring | None = None

    @property
    def url(self) -> str:
        return f"{CATALOGUE_HOST}/catalogue/{self.external_id.lower()}"

    @property
    def xapi_iri(self) -> str:
        return f"{CATALOGUE_HOST}/activities/{self.external_id.lower()}"


COURSE_TITLES = {1: "{name}: the essentials", 2: "{name} in practice", 3: "Advanced {lower}",
                 4: "{name} masterclass"}  # fmt: skip


def _in_sentence(name: str) -> str:
    """'Software design' -> 'software design', but 'SQL and data modelling' keeps its acronym."""
    if len(name) > 1 and name[1].isupper():
        return name
    return name[0].lower() + name[1:]


def _technical(code: str, name: str, provider_offset: int) -> list[DemoActivity]:
    lower = _in_sentence(name)
    idea = PROJECT_IDEAS.get(code, f"apply {lower} on a live problem")
    provider = FORMAL_PROVIDERS[provider_offset % len(FORMAL_PROVIDERS)]
    items = [
        DemoActivity(f"{code}-C{level}", title.format(name=name, lower=lower),
                     ActivityKind.COURSE, True, provider, 6.0 * level + 2, level, code)
        for level, title in COURSE_TITLES.items()
    ]  # fmt: skip
    items += [
        DemoActivity(f"{code}-A{level}", f"{name} assessment, level {level}",
                     ActivityKind.ASSESSMENT, True, "Pathwise Academy", 1.5, level, code,
                     scoring=Scoring.GRADED)
        for level in (2, 3, 4, 5)
    ]  # fmt: skip
    items += [
        DemoActivity(f"{code}-X3", f"Certified {lower} practitioner", ActivityKind.CERTIFICATION,
                     True, provider, 30.0, 3, code, scoring=Scoring.PASS),
        DemoActivity(f"{code}-X4", f"Certified {lower} expert", ActivityKind.CERTIFICATION,
                     True, provider, 50.0, 4, code, scoring=Scoring.PASS),
        DemoActivity(f"{code}-B3", f"{name} bootcamp", ActivityKind.BOOTCAMP, True,
                     "Brightline Learning", 90.0, 3, code),
        DemoActivity(f"{code}-P2", f"Project: {idea}", ActivityKind.PROJECT, False,
                     "On the job", 60.0, 2, code, ("PR-PROB", 2)),
        DemoActivity(f"{code}-P4", f"Lead project: {idea}", ActivityKind.PROJECT, False,
                     "On the job", 120.0, 4, code, ("PR-LEAD", 3)),
        DemoActivity(f"{code}-S3", f"Stretch assignment: {idea}", ActivityKind.STRETCH_ASSIGNMENT,
                     False, "On the job", 80.0, 3, code, ("PR-STAKE", 2)),
        DemoActivity(f"{code}-F3", f"Portfolio piece: {lower}", ActivityKind.PORTFOLIO, False,
                     "On the job", 20.0, 3, code, ("PR-COMM", 2)),
        DemoActivity(f"{code}-M2", f"Mentoring in {lower}", ActivityKind.MENTORING, False,
                     "Internal mentoring", 12.0, 2, code),
        DemoActivity(f"{code}-R1", f"Reading list: {lower}", ActivityKind.READING, False,
                     "Self-directed", 5.0, 1, code),
        DemoActivity(f"{code}-K2", f"Conference talk track: {lower}", ActivityKind.CONFERENCE,
                     False, "External event", 14.0, 2, code),
    ]  # fmt: skip
    return items


def _professional(code: str, name: str) -> list[DemoActivity]:
    lower = _in_sentence(name)
    idea = PROJECT_IDEAS.get(code, f"practise {lower}")
    return [
        DemoActivity(f"{code}-C1", f"{name}: the essentials", ActivityKind.COURSE, True,
                     "Pathwise Academy", 4.0, 1, code),
        DemoActivity(f"{code}-C2", f"{name} workshop", ActivityKind.COURSE, True,
                     "Pathwise Academy", 8.0, 2, code),
        DemoActivity(f"{code}-C3", f"{name} for senior staff", ActivityKind.COURSE, True,
                     "Northwind Institute", 16.0, 3, code),
        DemoActivity(f"{code}-S3", f"Stretch assignment: {idea}", ActivityKind.STRETCH_ASSIGNMENT,
                     False, "On the job", 40.0, 3, code),
        DemoActivity(f"{code}-M3", f"Mentoring in {lower}", ActivityKind.MENTORING, False,
                     "Internal mentoring", 12.0, 3, code),
        DemoActivity(f"{code}-R1", f"Reading list: {lower}", ActivityKind.READING, False,
                     "Self-directed", 4.0, 1, code),
    ]  # fmt: skip


def _values(code: str, name: str) -> list[DemoActivity]:
    return [
        DemoActivity(f"{code}-C1", f"{name} workshop", ActivityKind.COURSE, True,
                     "People & Learning", 3.0, 1, code),
        DemoActivity(f"{code}-C2", f"Living our values: {_in_sentence(name)}", ActivityKind.COURSE,
                     True, "People & Learning", 6.0, 2, code),
    ]  # fmt: skip


def build_catalogue(competencies: list[CompetencySpec]) -> list[DemoActivity]:
    """Every activity of the demo catalogue, in a fixed order."""
    catalogue: list[DemoActivity] = []
    for offset, competency in enumerate(competencies):
        if competency.category is CompetencyCategory.TECHNICAL:
            catalogue += _technical(competency.code, competency.name, offset)
        elif competency.category is CompetencyCategory.PROFESSIONAL:
            catalogue += _professional(competency.code, competency.name)
        else:
            catalogue += _values(competency.code, competency.name)
    return catalogue
