"""A learner's record on one printable page: who they are, where they stand on their pathway,
and the competency levels they have achieved (the same ones the Open Badges export carries).

Unsigned like the JSON export, and it says so in its footer. DejaVu Sans is used when the
system has it, for names in any script; otherwise the PDF core font, which covers Latin-1, with
other characters replaced.
"""

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from data_model.credentials import UNSIGNED

UNICODE_FONTS = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"),
)
MAX_ROWS = 28
"""Rows that fit the page under the header; more are summarised in one line."""
COLUMNS = (("Competency", 78), ("Category", 28), ("Level achieved", 44), ("Mastery", 20),
           ("Records", 20))  # fmt: skip


@dataclass(frozen=True)
class RecordPage:
    name: str
    email: str
    where: str
    """One line: pathway level, job family, department."""
    standing: str
    """One line: level attained, next level and readiness, in words."""
    achieved: pd.DataFrame
    """`credentials.achieved_competencies` rows."""
    generated_on: date


class _Page(FPDF):
    def __init__(self) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.set_auto_page_break(auto=False)
        self.set_margins(15, 15, 15)
        found = next((path for path in UNICODE_FONTS if path.exists()), None)
        bold = found.with_name("DejaVuSans-Bold.ttf") if found is not None else None
        if found is not None and bold is not None and bold.exists():
            self.add_font("Body", "", str(found))
            self.add_font("Body", "B", str(bold))
            self.family_name = "Body"
            self.unicode = True
        else:
            self.family_name = "Helvetica"
            self.unicode = False

    def text_of(self, text: str) -> str:
        if self.unicode:
            return text
        return text.encode("latin-1", "replace").decode("latin-1")

    def paragraph(self, text: str, size: float, bold: bool = False, height: float = 6) -> None:
        self.set_font(self.family_name, "B" if bold else "", size)
        self.multi_cell(0, height, self.text_of(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def row(self, cells: list[str], bold: bool = False) -> None:
        self.set_font(self.family_name, "B" if bold else "", 9)
        for (_, width), text in zip(COLUMNS, cells, strict=True):
            self.cell(width, 6.5, self.text_of(text)[:60], border="B")
        self.ln(6.5)


def record_pdf(page: RecordPage) -> bytes:
    """The one-page PDF of `page`."""
    pdf = _Page()
    pdf.set_title(f"Learner record of {page.name}")
    pdf.set_author("Pathwise")
    pdf.add_page()
    pdf.paragraph("Learner record", 20, bold=True, height=10)
    pdf.paragraph(f"{page.name} · {page.email}", 11)
    pdf.paragraph(page.where, 10)
    pdf.paragraph(page.standing, 10)
    pdf.paragraph(f"As on {page.generated_on.day} {page.generated_on:%B %Y}", 10)
    pdf.ln(4)
    pdf.paragraph("Competencies achieved", 13, bold=True, height=8)
    if page.achieved.empty:
        pdf.paragraph("No competency level is achieved yet.", 10)
    else:
        pdf.row([name for name, _ in COLUMNS], bold=True)
        for item in page.achieved.head(MAX_ROWS).to_dict("records"):
            level = f"{int(item['level'])}" + (f" · {item['label']}" if item["label"] else "")
            pdf.row([item["name"], str(item["category"]).capitalize(), level,
                     f"{item['mastery']:.1f}", f"{int(item['evidence_count']):,}"])  # fmt: skip
        if len(page.achieved) > MAX_ROWS:
            pdf.paragraph(f"and {len(page.achieved) - MAX_ROWS} more in the JSON export.", 9)
    pdf.set_y(-30)
    pdf.paragraph(
        "A level counts as achieved when mastery, weighed from the learner's evidence, reaches "
        f"it with enough support. {UNSIGNED}",
        8,
        height=4.5,
    )
    return bytes(pdf.output())
