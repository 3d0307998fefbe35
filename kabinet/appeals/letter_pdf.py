"""The answer to a complaint as a printable A4 letter, for a customer who asked for the answer
«письмом по почте»: addressed to their place of residence, with the complaint's number and
date, the answer and who gave it. Made on request, never stored (the bills' A4 page)."""

from html import escape

from django.utils import timezone
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer

from kabinet.appeals.complaint_text import display_address
from kabinet.appeals.complaints_models import QualityComplaint
from kabinet.appeals.models import Message
from kabinet.billing.bill_pdf import FONT, FONT_BOLD, INK, build_a4, register_fonts


def _lines(text: str) -> str:
    return escape(text).replace("\n", "<br/>")


def render_answer_letter(complaint: QualityComplaint, answer: Message) -> bytes:
    register_fonts()
    base = ParagraphStyle("l-base", fontName=FONT, fontSize=11, leading=15, textColor=INK)
    right = ParagraphStyle("l-right", base, leftIndent=95 * mm)
    title = ParagraphStyle("l-title", base, fontName=FONT_BOLD, fontSize=13, leading=17, spaceAfter=4)
    appeal = complaint.appeal
    created = timezone.localtime(appeal.created_at)
    author = answer.author.get_full_name() if answer.author else ""
    story = [
        Paragraph(_lines(complaint.full_name), right),
        Paragraph(_lines(display_address(complaint.residence)), right),
        Spacer(1, 12 * mm),
        Paragraph(escape(f"Ответ на жалобу № {appeal.number} от {created:%d.%m.%Y}"), title),
        Paragraph(_lines(answer.text), base),
        Spacer(1, 10 * mm),
        Paragraph(escape(f"{timezone.localtime(answer.created_at):%d.%m.%Y}"), base),
        Paragraph(escape(f"Ответ подготовил: {author or answer.author}"), base),
    ]
    return build_a4(story, title=f"Ответ на жалобу № {appeal.number}")
