"""The bill as an A4 PDF (`render_bill_pdf`): ReportLab with DejaVu Sans, and the payment QR
code drawn by segno as vectors. What the bill says comes from kabinet.billing.bills, money
text from kabinet.billing.money."""

from decimal import Decimal
from functools import cache
from html import escape
from io import BytesIO
from pathlib import Path
from threading import Lock
import zlib

from django.views.decorators.debug import sensitive_variables
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.fonts import addMapping
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfdoc, pdfmetrics
from reportlab.pdfbase.ttfonts import FF_NONSYMBOLIC, FF_SYMBOLIC, TTFont, TTFontFace
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from kabinet.billing.bill_qr import payment_purpose, payment_qr_payload
from kabinet.billing.bills import BillData
from kabinet.billing.money import format_amount, format_quantity, format_rub
from kabinet.core.qr_symbol import DARK_RUN, QUIET_ZONE, qr_matrix

FONTS = Path(__file__).resolve().parent / "fonts"
FONT, FONT_BOLD = "DejaVuSans", "DejaVuSans-Bold"
INK = colors.HexColor("#1a1a1a")
MUTED = colors.HexColor("#555555")
RULE = colors.HexColor("#9a9a9a")
SHADE = colors.HexColor("#eef1f4")


# Every document's font subsets start with these characters in this order (ReportLab adds ASCII
# itself), so that documents of Russian text share the same subsets, whose TrueType files are
# then built and compressed once per process instead of once per document (docs/bills.md).
KEPT_SUBSETS = 16  # per font face
ALPHABET = "".join(map(chr, range(ord("А"), ord("я") + 1))) + "Ёё«»—–№₽·³²…"


class _Face(TTFontFace):
    """A TrueType face that keeps the compressed file of each subset it embedded."""

    @classmethod
    def of(cls, face: TTFontFace) -> "_Face":
        """The face TTFont has parsed, with a cache of subsets: the font file is parsed once."""
        kept = cls.__new__(cls)
        kept.__dict__.update(face.__dict__)  # set-based: not a write (an object's __dict__ update)
        kept.files = {}  # subset -> its compressed TrueType file, and the file's length
        kept.lock = Lock()  # bills are rendered in a web server's threads too
        return kept

    def compressed_subset(self, subset: list[int]) -> tuple[bytes, int]:
        """The subset's TrueType file compressed, and its length before. Built under the lock:
        ReportLab builds a subset by moving a read position in the face, which threads share,
        and a file built while another thread moves it would be corrupt, and kept."""
        key = tuple(subset)
        with self.lock:
            if (kept := self.files.get(key)) is None:
                file = self.makeSubset(subset)
                kept = self.files[key] = zlib.compress(file), len(file)
                while len(self.files) > KEPT_SUBSETS:  # the oldest go: rare characters make new subsets
                    del self.files[next(iter(self.files))]
            return kept

    def addSubsetObjects(self, doc, fontname, subset):
        """ReportLab's, with the kept compressed file of the subset."""
        file, length = self.compressed_subset(subset)
        stream = pdfdoc.PDFStream(content=file)
        stream.dictionary["Length1"] = length
        # Compressed already: the filter is named, which tells ReportLab not to apply it.
        stream.dictionary["Filter"] = pdfdoc.PDFArray([pdfdoc.PDFName("FlateDecode")])
        descriptor = pdfdoc.PDFDictionary(
            {
                "Type": "/FontDescriptor",
                "Ascent": self.ascent,
                "CapHeight": self.capHeight,
                "Descent": self.descent,
                "Flags": self.flags & ~FF_NONSYMBOLIC | FF_SYMBOLIC,
                "FontBBox": pdfdoc.PDFArray(self.bbox),
                "FontName": pdfdoc.PDFName(fontname),
                "ItalicAngle": self.italicAngle,
                "StemV": self.stemV,
                "FontFile2": doc.Reference(stream, f"fontFile:{self.filename}({fontname})"),
                "MissingWidth": self.defaultWidth,
            }
        )
        return doc.Reference(descriptor, "fontDescriptor:" + fontname)


class SubsetFont(TTFont):
    """A TTFont whose subsets begin with ALPHABET in every document, and are kept (their
    compressed TrueType file) for the next document with the same subset."""

    def __init__(self, name: str, filename: str):
        super().__init__(name, filename)
        self.face = _Face.of(self.face)

    def splitString(self, text, doc, encoding="utf-8"):
        if doc not in self.state:
            super().splitString(ALPHABET, doc)
        return super().splitString(text, doc, encoding)


@cache
def register_fonts() -> None:
    """DejaVu Sans, shipped in kabinet/billing/fonts/: ReportLab's built-in fonts have no Cyrillic."""
    pdfmetrics.registerFont(SubsetFont(FONT, str(FONTS / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(SubsetFont(FONT_BOLD, str(FONTS / "DejaVuSans-Bold.ttf")))
    for bold, italic, name in ((0, 0, FONT), (1, 0, FONT_BOLD), (0, 1, FONT), (1, 1, FONT_BOLD)):
        addMapping(FONT, bold, italic, name)


@cache
def _styles() -> dict[str, ParagraphStyle]:
    register_fonts()
    base = ParagraphStyle("base", fontName=FONT, fontSize=8.5, leading=11, textColor=INK)
    return {
        "base": base,
        "small": ParagraphStyle("small", base, fontSize=7.5, leading=9.5, textColor=MUTED),
        "cell": ParagraphStyle("cell", base, fontSize=8, leading=10),
        "title": ParagraphStyle("title", base, fontName=FONT_BOLD, fontSize=15, leading=19, spaceAfter=4),
        "heading": ParagraphStyle(
            "heading", base, fontName=FONT_BOLD, fontSize=10, leading=13, spaceBefore=8, spaceAfter=3
        ),
        "amount": ParagraphStyle("amount", base, fontName=FONT_BOLD, fontSize=17, leading=21, alignment=TA_CENTER),
        "center": ParagraphStyle("center", base, alignment=TA_CENTER),
    }


def _text(value: str) -> str:
    return escape(value) if value else "—"


class QrCode(Flowable):
    """The QR code drawn as vector squares: sharp at any zoom and printer, no bitmap."""

    def __init__(self, payload: str, size: float):
        super().__init__()
        # Bytes in byte mode: exactly the UTF-8 the header `ST00012` announces, no ECI segment.
        self.matrix = qr_matrix(payload.encode("utf-8"))
        self.size = self.width = self.height = size

    def wrap(self, available_width, available_height):
        return self.size, self.size

    def draw(self):
        # One path of integer rectangles in module units (a run of dark modules each), written
        # as PDF operators: a ReportLab `rect` per run formats its floats in Python, which cost
        # as much as the rest of the page.
        matrix = self.matrix
        module = self.size / (len(matrix) + 2 * QUIET_ZONE)
        rects = [
            f"{start} {y} {end - start} 1 re"
            for y, row in enumerate(matrix)
            for start, end in (run.span() for run in DARK_RUN.finditer(row))
        ]
        self.canv.saveState()
        self.canv.setFillColor(colors.black)
        # Module units, origin at the top left corner of the symbol, y downwards like the matrix.
        self.canv.transform(module, 0, 0, -module, QUIET_ZONE * module, self.size - QUIET_ZONE * module)
        self.canv.addLiteral("\n".join([*rects, "f"]))
        self.canv.restoreState()


def _balance_phrase(amount: Decimal, debt: str, credit: str) -> tuple[str, str]:
    if amount < 0:
        return credit, format_rub(-amount)
    return debt, format_rub(amount)


def _header(bill: BillData, st: dict) -> Table:
    payer = [
        Paragraph(f"Квитанция за {bill.period_name}", st["title"]),
        Paragraph(f"Лицевой счёт: <b>{escape(bill.account_number)}</b>", st["base"]),
        Paragraph(f"Плательщик: {_text(bill.payer)}", st["base"]),
        Paragraph(f"Адрес: {_text(bill.address)}", st["base"]),
        Paragraph(f"Расчётный период: {bill.period_name} ({bill.period:%m.%Y})", st["base"]),
    ]
    due = f"Оплатить до {bill.due:%d.%m.%Y}" if bill.to_pay else "Оплачивать не нужно"
    box = [
        Paragraph("Итого к оплате", st["center"]),
        Paragraph(format_rub(bill.to_pay), st["amount"]),
        Paragraph(due, st["center"]),
    ]
    if bill.overpaid:
        box.append(Paragraph(f"Переплата: {format_rub(bill.overpaid)}", st["center"]))
    table = Table([[payer, box]], colWidths=[114 * mm, 60 * mm], hAlign="LEFT")
    table.setStyle(
        TableStyle([
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("BOX", (1, 0), (1, 0), 1.2, INK),
            ("BACKGROUND", (1, 0), (1, 0), SHADE),
            ("TOPPADDING", (1, 0), (1, 0), 7),
            ("BOTTOMPADDING", (1, 0), (1, 0), 7),
            ("LEFTPADDING", (0, 0), (0, 0), 0),
        ])
    )  # fmt: skip
    return table


def _payee_block(bill: BillData, st: dict) -> list:
    p = bill.payee
    if not p.complete:
        return [Paragraph(f"Реквизиты для оплаты уточняйте в контактном центре: {_text(p.phone)}.", st["base"])]
    details = (
        f"<b>Получатель:</b> {escape(p.name)}, ИНН {_text(p.inn)}, КПП {_text(p.kpp)}<br/>"
        f"Р/с {escape(p.account)} в {escape(p.bank_name)}, БИК {escape(p.bic)}, к/с {escape(p.corr_account)}<br/>"
        f"Адрес: {_text(p.address)}. Контактный центр: {_text(p.phone)}"
    )
    return [Paragraph(details, st["small"])]


def _summary(bill: BillData, st: dict) -> Table:
    opening_label, opening = _balance_phrase(
        bill.opening, "Задолженность на начало месяца", "Переплата на начало месяца"
    )
    closing_label, closing = _balance_phrase(bill.closing, "Задолженность на конец месяца", "Переплата на конец месяца")
    rows = [
        [opening_label, opening],
        ["Начислено за месяц", format_rub(bill.accrued)],
        ["Перерасчёт", format_rub(bill.recalculations)],
        ["Оплачено в месяце", format_rub(bill.paid)],
        [closing_label, closing],
        ["Итого к оплате", format_rub(bill.to_pay)],
    ]
    table = Table(rows, colWidths=[70 * mm, 35 * mm], hAlign="LEFT")
    table.setStyle(
        TableStyle([
            ("FONT", (0, 0), (-1, -1), FONT, 8.5),
            ("FONT", (0, -1), (-1, -1), FONT_BOLD, 9.5),
            ("ALIGN", (1, 0), (1, -1), "RIGHT"),
            ("LINEABOVE", (0, -1), (-1, -1), 0.8, INK),
            ("TOPPADDING", (0, 0), (-1, -1), 1.5),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
            ("LEFTPADDING", (0, 0), (0, -1), 0),
        ])
    )  # fmt: skip
    return table


def _accruals(bill: BillData, st: dict) -> Table:
    head = ["Услуга", "Объём", "Тариф, ₽", "Начислено, ₽", "Перерасчёт, ₽", "Итого, ₽"]
    rows: list[list] = [head]
    for line in bill.lines:
        rows.append([
            Paragraph(escape(line.title), st["cell"]),
            f"{format_quantity(line.volume)} {line.unit}",
            format_quantity(line.tariff),
            format_amount(line.amount),
            format_amount(line.recalculation) if line.recalculation else "—",
            format_amount(line.total),
        ])  # fmt: skip
    rows.append(
        [
            "Всего",
            "",
            "",
            format_amount(bill.accrued),
            format_amount(bill.recalculations),
            format_amount(bill.total_accrued),
        ]
    )
    table = Table(rows, colWidths=[54 * mm, 24 * mm, 20 * mm, 26 * mm, 25 * mm, 25 * mm], repeatRows=1)
    table.setStyle(
        TableStyle([
            ("FONT", (0, 0), (-1, -1), FONT, 8),
            ("FONT", (0, 0), (-1, 0), FONT_BOLD, 7.5),
            ("FONT", (0, -1), (-1, -1), FONT_BOLD, 8),
            ("BACKGROUND", (0, 0), (-1, 0), SHADE),
            ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("GRID", (0, 0), (-1, -1), 0.4, RULE),
            ("TOPPADDING", (0, 0), (-1, -1), 2.5),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ])
    )  # fmt: skip
    return table


def _qr_block(bill: BillData, st: dict) -> Table | Paragraph:
    if not bill.payee.complete:
        return Paragraph("QR-код для оплаты появится, когда в квитанции будут реквизиты получателя.", st["small"])
    text = [
        Paragraph("<b>Оплата по QR-коду</b>", st["base"]),
        Paragraph(
            "Откройте приложение банка, выберите оплату по QR-коду и наведите камеру: "
            "получатель, лицевой счёт, период и сумма заполнятся сами.",
            st["base"],
        ),
        Paragraph(f"Назначение платежа: {escape(payment_purpose(bill))}", st["small"]),
    ]
    if not bill.to_pay:
        text.append(Paragraph("Долга нет: сумму, если хотите заплатить вперёд, введите сами.", st["small"]))
    table = Table([[QrCode(payment_qr_payload(bill), 38 * mm), text]], colWidths=[42 * mm, 132 * mm], hAlign="LEFT")
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("LEFTPADDING", (0, 0), (0, 0), 0)]))
    return table


def _story(bill: BillData) -> list:
    st = _styles()
    story: list = [_header(bill, st), Spacer(1, 4 * mm), *_payee_block(bill, st)]
    story += [Paragraph("Расчёт", st["heading"]), _summary(bill, st)]
    story += [Paragraph(f"Начисления за {bill.period_name}", st["heading"]), _accruals(bill, st)]
    if recalculated := bill.recalculated_lines:
        story.append(Paragraph("Перерасчёты", st["heading"]))
        story += [
            Paragraph(
                f"{escape(line.title)}: {format_rub(line.recalculation)} — {_text(line.recalculation_reason)}",
                st["base"],
            )
            for line in recalculated
        ]
    story.append(Paragraph(f"Платежи за {bill.period_name}", st["heading"]))
    if bill.payments:
        story += [
            Paragraph(
                f"{payment.paid_on:%d.%m.%Y} — {format_rub(payment.amount)} ({escape(payment.channel)})", st["base"]
            )
            for payment in bill.payments
        ]
    else:
        story.append(Paragraph("В этом месяце платежей не было.", st["base"]))
    story += [Spacer(1, 6 * mm), _qr_block(bill, st)]
    story.append(Spacer(1, 4 * mm))
    story.append(
        Paragraph(
            "Показания счётчиков передавайте в личном кабинете. Вопросы по начислениям — в разделе «Обращения» "
            f"или по телефону контактного центра {_text(bill.payee.phone)}.",
            st["small"],
        )
    )
    return story


def render_bill_pdf(bill: BillData) -> bytes:
    """The bill as an A4 PDF: payee, payer, the month's accruals with volumes, tariffs and
    recalculations, the balance, the amount to pay and the payment QR code. The same data
    gives the same bytes (ReportLab's invariant mode: no timestamps or random ids)."""
    return build_a4(
        _story(bill),
        title=f"Квитанция за {bill.period_name}, лицевой счёт {bill.account_number}",
        author=bill.payee.name,
        subject=payment_purpose(bill),
    )


@sensitive_variables("story")  # a complaint's story holds decrypted document data
def build_a4(story: list, **meta: str) -> bytes:
    """A story printed on Kabinet's page: A4, 15 mm at the sides, 14 mm above and below, and
    reproducible bytes (ReportLab's invariant mode). Bills and complaints share it."""
    buffer = BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=14 * mm,
        bottomMargin=14 * mm,
        creator="Личный кабинет клиента",
        invariant=1,
        **meta,
    )
    document.build(story)
    return buffer.getvalue()
