"""The monthly bill («квитанция») of a personal account: what it says (`bill_data`), the
payment QR code in the format of ГОСТ Р 56042-2014 (`payment_qr_payload`), and the PDF
(`render_bill_pdf`). Stored bills, the monthly job and e-mailed bills live in kabinet/billing/bill_jobs.py.

Money is Decimal throughout; amounts come from the database already in kopecks, and totals
are rounded by kabinet.billing.money only."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
import hashlib
from html import escape
from io import BytesIO
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.fonts import addMapping
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
import segno

from kabinet.billing.balances import due_date, next_month
from kabinet.billing.models import Accrual, MonthBalance, Payment, PersonalAccount
from kabinet.billing.money import (
    closing_balance,
    format_amount,
    format_quantity,
    format_rub,
    in_kopecks,
    to_kopecks,
)

ZERO = Decimal("0.00")
FONTS = Path(__file__).resolve().parent / "fonts"
MONTHS = (
    "январь", "февраль", "март", "апрель", "май", "июнь",
    "июль", "август", "сентябрь", "октябрь", "ноябрь", "декабрь",
)  # fmt: skip
MONTHS_GENITIVE = (
    "января", "февраля", "марта", "апреля", "мая", "июня",
    "июля", "августа", "сентября", "октября", "ноября", "декабря",
)  # fmt: skip


class NoBill(LookupError):
    """The account has no accruals in that month, so there is no bill for it."""


# --- What the bill says -------------------------------------------------------------------
@dataclass(frozen=True)
class Payee:
    """The region's company details, as printed on the bill and encoded in the QR code."""

    name: str
    inn: str
    kpp: str
    bank_name: str
    bic: str
    corr_account: str
    account: str
    address: str
    phone: str

    @property
    def complete(self) -> bool:
        """Everything the QR code's required block needs."""
        return all((self.name, self.account, self.bank_name, self.bic, self.corr_account))


@dataclass(frozen=True)
class BillLine:
    service: str
    zone: str
    unit: str
    volume: Decimal
    tariff: Decimal
    amount: Decimal
    recalculation: Decimal
    recalculation_reason: str

    @property
    def title(self) -> str:
        return f"{self.service} ({self.zone})" if self.zone else self.service

    @property
    def total(self) -> Decimal:
        return to_kopecks(self.amount + self.recalculation)


@dataclass(frozen=True)
class BillPayment:
    paid_on: date
    amount: Decimal
    channel: str


@dataclass(frozen=True)
class BillData:
    account_number: str
    period: date
    payer_last_name: str
    payer_first_name: str
    address: str
    payee: Payee
    lines: tuple[BillLine, ...]
    opening: Decimal  # debt positive, overpayment negative
    payments: tuple[BillPayment, ...]
    closing: Decimal
    due: date

    @property
    def payer(self) -> str:
        return f"{self.payer_last_name} {self.payer_first_name}".strip()

    @property
    def accrued(self) -> Decimal:
        return to_kopecks(sum((line.amount for line in self.lines), ZERO))

    @property
    def recalculations(self) -> Decimal:
        return to_kopecks(sum((line.recalculation for line in self.lines), ZERO))

    @property
    def total_accrued(self) -> Decimal:
        return to_kopecks(self.accrued + self.recalculations)

    @property
    def paid(self) -> Decimal:
        return to_kopecks(sum((payment.amount for payment in self.payments), ZERO))

    @property
    def to_pay(self) -> Decimal:
        """The amount to pay: the closing balance when it is a debt, else nothing."""
        return max(self.closing, ZERO)

    @property
    def overpaid(self) -> Decimal:
        return max(-self.closing, ZERO)

    @property
    def recalculated_lines(self) -> tuple[BillLine, ...]:
        return tuple(line for line in self.lines if line.recalculation)

    @property
    def period_name(self) -> str:
        """«октябрь 2026»"""
        return f"{MONTHS[self.period.month - 1]} {self.period.year}"

    @property
    def file_name(self) -> str:
        """`kvitanciya-660100012345-2026-10.pdf`"""
        return f"kvitanciya-{self.account_number}-{self.period:%Y-%m}.pdf"

    def fingerprint(self) -> str:
        """Changes exactly when anything printed on the bill changes: the job skips bills
        whose fingerprint is unchanged."""
        return hashlib.sha256(repr(self).encode()).hexdigest()


def _payee(account: PersonalAccount) -> Payee:
    region = account.region
    return Payee(
        name=region.payee_name,
        inn=region.payee_inn,
        kpp=region.payee_kpp,
        bank_name=region.bank_name,
        bic=region.bank_bic,
        corr_account=region.bank_corr_account,
        account=region.bank_account,
        address=region.company_address,
        phone=region.contact_phone,
    )


def account_holder(account: PersonalAccount):
    """The customer holding the account in the portal, if anyone does (no import of identity:
    the reverse relation of AccountLink is enough)."""
    try:
        return account.link.user
    except PersonalAccount.link.RelatedObjectDoesNotExist:
        return None


def bill_data(account: PersonalAccount, period: date) -> BillData:
    """Everything the bill of `account` for the month `period` says. Raises NoBill when the
    month has no accruals. Three or four queries; pass an account with its premises, region
    and link__user selected to avoid more."""
    period = period.replace(day=1)
    accruals = list(Accrual.objects.filter(account=account, period=period).select_related("service"))
    if not accruals:
        raise NoBill(f"{account.number}: no accruals for {period:%m.%Y}")
    lines = tuple(
        BillLine(
            service=a.service.name,
            zone=a.zone,
            unit=a.service.unit,
            volume=a.volume,
            tariff=a.tariff,
            amount=a.amount,
            recalculation=a.recalculation,
            recalculation_reason=a.recalculation_reason,
        )
        for a in sorted(accruals, key=lambda a: (a.service.ordering, a.service.name, a.zone))
    )
    payments = tuple(
        BillPayment(p.paid_on, p.amount, p.get_channel_display())
        for p in Payment.objects.filter(account=account, paid_on__gte=period, paid_on__lt=next_month(period))
    )
    balances = {
        b.period: b for b in MonthBalance.objects.filter(account=account, period__lte=period).order_by("-period")[:2]
    }
    if period in balances:  # the billing's own figures
        opening, closing = balances[period].opening, balances[period].closing
    else:  # balances not rebuilt yet: carry the last known closing forward
        previous = next(iter(balances.values()), None)
        opening = previous.closing if previous else ZERO
        accrued = sum((line.total for line in lines), ZERO)
        closing = closing_balance(opening, accrued, sum((p.amount for p in payments), ZERO))
    holder = account_holder(account)
    return BillData(
        account_number=account.number,
        period=period,
        payer_last_name=holder.last_name if holder else "",
        payer_first_name=holder.first_name if holder else "",
        address=account.premises.address,
        payee=_payee(account),
        lines=lines,
        opening=to_kopecks(opening),
        payments=payments,
        closing=to_kopecks(closing),
        due=due_date(period, account.region),
    )


# --- The payment QR code (ГОСТ Р 56042-2014) ------------------------------------------------
# «ST» + version «0001» + encoding «2» (UTF-8; 1 is windows-1251, 3 is KOI8-R).
QR_HEADER = "ST00012"
QR_SEPARATOR = "|"
# Maximum lengths of the standard's fields (table 1 and appendix B).
QR_LIMITS = {
    "Name": 160,
    "PersonalAcc": 20,
    "BankName": 45,
    "BIC": 9,
    "CorrespAcc": 20,
    "Sum": 18,
    "Purpose": 210,
    "PayeeINN": 12,
    "KPP": 9,
}
QR_REQUIRED = ("Name", "PersonalAcc", "BankName", "BIC", "CorrespAcc")


def _qr_value(key: str, value: str) -> str:
    """One line, no separator inside, within the field's length."""
    value = " ".join(str(value).replace(QR_SEPARATOR, " ").split())
    return value[: QR_LIMITS.get(key, len(value))]


def payment_purpose(bill: BillData) -> str:
    return f"Оплата по лицевому счёту {bill.account_number} за {bill.period:%m.%Y}"


def payment_qr_fields(bill: BillData) -> list[tuple[str, str]]:
    """The fields in their order: the required block, then the additional ones that are known.
    `Sum` is left out when nothing is due, so the banking app asks the payer for an amount."""
    payee = bill.payee
    if not payee.complete:
        raise ValueError(f"the region of {bill.account_number} lacks its bank details")
    fields = [
        ("Name", payee.name),
        ("PersonalAcc", payee.account),
        ("BankName", payee.bank_name),
        ("BIC", payee.bic),
        ("CorrespAcc", payee.corr_account),
    ]
    if bill.to_pay > 0:
        fields.append(("Sum", str(in_kopecks(bill.to_pay))))
    fields += [
        ("Purpose", payment_purpose(bill)),
        ("PayeeINN", payee.inn),
        ("KPP", payee.kpp),
        ("PersAcc", bill.account_number),
        ("LastName", bill.payer_last_name),
        ("FirstName", bill.payer_first_name),
        ("PayerAddress", bill.address),
        ("PaymPeriod", f"{bill.period:%m%Y}"),
    ]
    cleaned = [(key, _qr_value(key, value)) for key, value in fields]
    return [(key, value) for key, value in cleaned if value or key in QR_REQUIRED]


def payment_qr_payload(bill: BillData) -> str:
    """`ST00012|Name=…|PersonalAcc=…|…`: what banking apps read from the bill's QR code.
    Encode it as UTF-8 (the header says so). Raises ValueError without the payee's details."""
    return QR_SEPARATOR.join([QR_HEADER, *(f"{key}={value}" for key, value in payment_qr_fields(bill))])


# --- The PDF ----------------------------------------------------------------------------------
FONT, FONT_BOLD = "DejaVuSans", "DejaVuSans-Bold"
INK = colors.HexColor("#1a1a1a")
MUTED = colors.HexColor("#555555")
RULE = colors.HexColor("#9a9a9a")
SHADE = colors.HexColor("#eef1f4")


@cache
def register_fonts() -> None:
    """DejaVu Sans, shipped in kabinet/billing/fonts/: ReportLab's built-in fonts have no Cyrillic."""
    pdfmetrics.registerFont(TTFont(FONT, str(FONTS / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(FONTS / "DejaVuSans-Bold.ttf")))
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
    """segno's QR code drawn as vector squares: sharp at any zoom and printer, no bitmap."""

    def __init__(self, payload: str, size: float):
        super().__init__()
        # Bytes in byte mode: exactly the UTF-8 the header `ST00012` announces, no ECI segment.
        self.qr = segno.make(payload.encode("utf-8"), mode="byte", error="m", micro=False)
        self.size = self.width = self.height = size

    def wrap(self, available_width, available_height):
        return self.size, self.size

    def draw(self):
        rows = [list(row) for row in self.qr.matrix_iter(scale=1, border=4)]
        module = self.size / len(rows)
        path = self.canv.beginPath()
        for y, row in enumerate(rows):
            x = 0
            while x < len(row):
                if not row[x]:
                    x += 1
                    continue
                start = x
                while x < len(row) and row[x]:
                    x += 1
                path.rect(start * module, self.size - (y + 1) * module, (x - start) * module, module)
        self.canv.setFillColor(colors.black)
        self.canv.drawPath(path, stroke=0, fill=1)


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
    buffer = BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=14 * mm,
        bottomMargin=14 * mm,
        title=f"Квитанция за {bill.period_name}, лицевой счёт {bill.account_number}",
        author=bill.payee.name,
        subject=payment_purpose(bill),
        creator="Личный кабинет клиента",
        invariant=1,
    )
    document.build(_story(bill))
    return buffer.getvalue()
