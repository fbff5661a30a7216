"""Heads of terms and the committee-report section as a Word document (python-docx).

DOCX because council legal teams draft S106 agreements in Word: they paste and edit the
heads of terms rather than retype them from a PDF.
"""

from __future__ import annotations

import io
import re

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.shared import Pt

from planning_sv.core.figures import format_gbp, format_number
from planning_sv.core.heads_of_terms import HeadsOfTerms

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


def render_docx(hot: HeadsOfTerms) -> bytes:
    """The whole document as bytes (the web app streams them as a download)."""
    document = Document()
    section = document.sections[0]
    # Landscape: the rule table has eight columns and is unreadable on portrait A4.
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = section.page_height, section.page_width
    document.styles["Normal"].font.size = Pt(10)

    reference = hot.application_reference or "(no application reference)"
    document.add_heading(_xml(f"Heads of terms: {reference}"), level=0)
    facts = [f"Council: {hot.council_name}"]
    if hot.site_address:
        facts.append(f"Site: {hot.site_address}")
    if hot.version is not None:
        facts.append(f"Statement version: {hot.version}")
    facts.append(
        f"Rule pack {hot.committee.pack_version}, rules in force on {hot.committee.assessed_on}"
    )
    for fact in facts:
        document.add_paragraph(_xml(fact))

    document.add_heading("Section 106 obligations", level=1)
    if not hot.obligations:
        document.add_paragraph("The statement offers no commitments to secure.")
    for ob in hot.obligations:
        document.add_heading(_xml(f"{ob.number}. {ob.measure_label}: {ob.quantity_text}"), level=2)
        lines = [
            ("Obligation", ob.text),
            ("Quantity", ob.quantity_text),
            ("Where", ob.where + (" (local)" if ob.local else "")),
            ("Trigger and timing", ob.trigger),
            ("Monitoring and reporting", ob.monitoring),
            (
                "Policy secured",
                "; ".join(f"{p.rule_id}: {p.citation}" for p in ob.policies)
                or "None: offered beyond the plan's requirements",
            ),
        ]
        for label, text in lines:
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
                f"{format_number(r.required)} {r.unit}".strip(),
                f"{format_number(r.proposed)} {r.unit}".strip(),
                format_number(r.shortfall),
                r.engine_label,
                r.officer_label + (" (overridden)" if r.overridden else ""),
                r.reason or r.comment or "",
            ]
            for r in committee.rules
        ],
    )
    summary = ", ".join(
        f"{count} {status.replace('_', ' ')}"
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
    totals += [[f"Theme: {theme}", format_gbp(gbp)] for theme, gbp in committee.by_theme]
    totals += [[f"Ward: {name} ({code})", format_gbp(gbp)] for code, name, gbp in committee.by_ward]
    _table(document, ["Measure", "Value"], totals)
    if committee.value_set:
        document.add_paragraph(_xml(f"Values from {committee.value_set}."))

    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
