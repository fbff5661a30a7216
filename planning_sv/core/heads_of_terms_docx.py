"""Heads of terms and the committee-report section as a Word document (python-docx).

DOCX because council legal teams draft S106 agreements in Word: they paste and edit the
heads of terms rather than retype them from a PDF.
"""

from __future__ import annotations

import datetime as dt
import io
import re

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt
from docx.text.paragraph import Paragraph

from planning_sv.core.figures import format_gbp, format_in_unit
from planning_sv.core.heads_of_terms import HeadsOfTerms
from planning_sv.core.monitoring import FeeHead
from planning_sv.core.verdicts import STATUS_LABELS

DRAFT_MARK = "DRAFT – not signed off"

# XML 1.0 has no place for most control characters: lxml refuses the whole document if user
# text (an address, a comment) carries one, so each is shown as U+FFFD instead.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def _table(document: DocxDocument, header: list[str], rows: list[list[str]]) -> None:
    table = document.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = _xml(text)
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for row in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, row, strict=True):
            cell.text = _xml(text)


def _field(paragraph: Paragraph, instruction: str, shown: str) -> None:
    """A Word field (PAGE, NUMPAGES) that Word fills in when it lays out the pages."""
    run = paragraph.add_run()
    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    code = OxmlElement("w:instrText")
    code.set(qn("xml:space"), "preserve")
    code.text = f" {instruction} "
    separate = OxmlElement("w:fldChar")
    separate.set(qn("w:fldCharType"), "separate")
    placeholder = OxmlElement("w:t")
    placeholder.text = shown
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    for element in (begin, code, separate, placeholder, end):
        run._r.append(element)


def _properties(document: DocxDocument, hot: HeadsOfTerms, now: dt.datetime) -> None:
    """Title, author and dates a records system reads: never python-docx's template values
    (author "python-docx", created 2013)."""
    props = document.core_properties
    props.title = _xml(hot.title)
    props.subject = "Section 106 heads of terms and committee report: social value"
    props.author = _xml(hot.council_name)
    props.last_modified_by = _xml(hot.council_name)
    props.created = now
    props.modified = now
    props.revision = 1
    props.comments = ""
    props.keywords = "S106; heads of terms; social value"
    props.category = "Signed off" if hot.sign_off else "Draft"


def _header_footer(document: DocxDocument, hot: HeadsOfTerms) -> None:
    section = document.sections[0]
    reference = hot.application_reference or "(no application reference)"
    header = section.header.paragraphs[0]
    header.text = _xml(f"{hot.council_name} · Application {reference}")
    if hot.sign_off is None:
        mark = section.header.add_paragraph()
        mark.add_run(DRAFT_MARK).bold = True
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run("Page ")
    _field(footer, "PAGE", "1")
    footer.add_run(" of ")
    _field(footer, "NUMPAGES", "1")


def render_docx(
    hot: HeadsOfTerms, *, fee: FeeHead | None = None, now: dt.datetime | None = None
) -> bytes:
    """The whole document as bytes (the web app streams them as a download).

    `fee`: the council's monitoring fee as one more head (core.monitoring.fee_head, the
    same wording as the heads-of-terms page). `now`: the creation time recorded in the
    document (default: the current time, UTC).
    """
    now = now or dt.datetime.now(dt.UTC)
    document = Document()
    section = document.sections[0]
    # Landscape: the rule table has eight columns and is unreadable on portrait A4.
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = section.page_height, section.page_width
    document.styles["Normal"].font.size = Pt(10)
    _properties(document, hot, now)
    _header_footer(document, hot)

    if hot.sign_off is None:
        draft = document.add_paragraph()
        draft.add_run(DRAFT_MARK).bold = True
    document.add_heading(_xml(hot.title), level=0)
    facts = [f"Council: {hot.council_name}"]
    if hot.site_address:
        facts.append(f"Site: {hot.site_address}")
    if hot.version is not None:
        facts.append(f"Statement version: {hot.version}")
    facts.append(
        f"Rule pack {hot.committee.pack_version}, rules in force on "
        f"{hot.committee.assessed_on_text}"
    )
    for fact in facts:
        document.add_paragraph(_xml(fact))

    document.add_heading("Section 106 obligations", level=1)
    if not hot.obligations:
        document.add_paragraph("The statement offers no commitments to secure.")
    for ob in hot.obligations:
        document.add_heading(_xml(f"{ob.number}. {ob.heading}"), level=2)
        lines = [("Obligation", ob.text), ("Quantity", ob.quantity_text)]
        if ob.offered:
            lines.append(("As offered", ob.offered))
        if ob.description and ob.measure != "qualitative_commitment":
            lines.append(("Details offered", ob.description))
        lines += [
            ("Where", ob.where),
            ("Trigger and timing", ob.trigger),
            ("Monitoring and reporting", ob.monitoring),
            (
                "Policy secured",
                "; ".join(p.citation for p in ob.policies)
                or "None: offered beyond the plan's requirements",
            ),
        ]
        for label, text in lines:
            paragraph = document.add_paragraph()
            paragraph.add_run(f"{label}: ").bold = True
            paragraph.add_run(_xml(text))
    if fee is not None:
        document.add_heading(_xml(f"{fee.number}. Monitoring fee"), level=2)
        # The citation only: whether the figure is confirmed is for the officer's page, never
        # a legal document.
        policy = fee.citation
        for label, text in (
            ("Obligation", fee.text),
            ("Trigger and timing", fee.trigger),
            ("Policy secured", policy),
        ):
            paragraph = document.add_paragraph()
            paragraph.add_run(f"{label}: ").bold = True
            paragraph.add_run(_xml(text))
    for note in hot.notes:
        document.add_paragraph(_xml(note), style="Intense Quote")

    committee = hot.committee
    document.add_heading("Committee report: social value", level=1)
    document.add_heading("Policy requirements", level=2)
    _table(
        document,
        ["Rule", "Policy", "Required", "Proposed", "Shortfall", "Engine", "Officer", "Reason"],
        [
            [
                f"{r.id}\n{r.title}",
                r.citation,
                format_in_unit(r.required, r.unit),
                format_in_unit(r.proposed, r.unit),
                format_in_unit(r.shortfall, r.unit),
                r.engine_label,
                r.officer_label + (" (overridden)" if r.overridden else ""),
                r.reason or r.comment or "",
            ]
            for r in committee.rules
        ],
    )
    summary = ", ".join(
        f"{count} {STATUS_LABELS.get(status, status).lower()}"
        for status, count in committee.summary.items()
        if count
    )
    document.add_paragraph(f"Summary: {summary or 'no rules in force'}.")

    document.add_heading("Social value", level=2)
    totals = [
        ["Total social value", format_gbp(committee.total_gbp)],
        ["Of which local", format_gbp(committee.local_gbp)],
        [
            "Local share",
            "—" if committee.local_share is None else f"{committee.local_share:.0%}",
        ],
        [
            "Per £1m build cost",
            format_gbp(committee.per_million_build_cost),
        ],
    ]
    totals += [
        [f"Theme: {theme.replace('_', ' ').capitalize()}", format_gbp(gbp)]
        for theme, gbp in committee.by_theme
    ]
    totals += [[f"Ward: {name} ({code})", format_gbp(gbp)] for code, name, gbp in committee.by_ward]
    _table(document, ["Measure", "Value"], totals)
    if committee.value_set:
        document.add_paragraph(_xml(f"Values from {committee.value_set}."))

    document.add_heading("Sign-off", level=1)
    if hot.sign_off is None:
        document.add_paragraph(
            f"{DRAFT_MARK}: these heads of terms may change until a senior planning officer "
            "signs them off."
        )
    else:
        _table(
            document,
            ["Signed off by", "Role", "Date"],
            [[hot.sign_off.name, hot.sign_off.role, hot.sign_off.date_text]],
        )

    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
