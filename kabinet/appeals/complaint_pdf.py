"""The complaint as a printable A4 PDF with every field of ПП № 55: for the customer and for
the file. ReportLab with the bills' DejaVu Sans (ReportLab's own fonts have no Cyrillic).
Made on request and streamed, never stored: the document data stays encrypted at rest."""

from html import escape

from django.views.decorators.debug import sensitive_variables
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

from kabinet.appeals.complaint_text import complaint_rows
from kabinet.appeals.complaints_models import QualityComplaint
from kabinet.billing.bill_pdf import FONT, FONT_BOLD, INK, RULE, build_a4, register_fonts


# Every local here holds the rows or what is built of them: none goes to an error report.
@sensitive_variables()
def render_complaint_pdf(complaint: QualityComplaint, viewer: str) -> bytes:
    register_fonts()
    base = ParagraphStyle("c-base", fontName=FONT, fontSize=9.5, leading=12.5, textColor=INK)
    label = ParagraphStyle("c-label", base, fontName=FONT_BOLD)
    title = ParagraphStyle("c-title", base, fontName=FONT_BOLD, fontSize=14, leading=18, spaceAfter=4)
    appeal = complaint.appeal
    rows = [
        [Paragraph(escape(name), label), Paragraph(escape(value).replace("\n", "<br/>"), base)]
        for name, value in complaint_rows(complaint, viewer)
    ]
    table = Table(rows, colWidths=[62 * mm, 118 * mm])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    story = [
        Paragraph("Жалоба на качество и надёжность электроснабжения", title),
        Paragraph(
            escape(
                f"Подана через личный кабинет клиента ({appeal.region.name}). "
                "Постановление Правительства РФ от 24.01.2024 № 55."
            ),
            base,
        ),
        Spacer(1, 5 * mm),
        table,
    ]
    return build_a4(story, title=f"Жалоба № {appeal.number}")
