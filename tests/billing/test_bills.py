"""The monthly bill: what it says, the payment QR code against ГОСТ Р 56042-2014, the PDF."""

from concurrent.futures import ThreadPoolExecutor
from dataclasses import fields, is_dataclass, replace
from datetime import date
from decimal import Decimal
from io import BytesIO
import re
import sys

from pypdf import PdfReader
import pytest
from reportlab.pdfbase import pdfmetrics
import segno

from kabinet.billing.bill_pdf import FONT, FONT_BOLD, register_fonts, render_bill_pdf
from kabinet.billing.bill_qr import QR_LIMITS, QR_REQUIRED, payment_qr_fields, payment_qr_payload
from kabinet.billing.bills import NoBill, bill_data, bills_data
from kabinet.billing.models import Payment, PersonalAccount, Region
from kabinet.billing.periods import previous_month
from kabinet.core.qr_symbol import MASK, qr_matrix, version_for
from tests.factories import (
    PAYEE,
    PERIOD,
    accrue,
    make_account,
    make_billed,
    make_customer,
    pdf_qr_codes,
    pdf_text,
)


@pytest.fixture
def billed(account, customer):
    make_billed(account)
    return bill_data(account, PERIOD)


# --- What the bill says -------------------------------------------------------------------
def test_the_bill_has_payer_address_lines_balance_and_due_date(billed, account):
    assert billed.account_number == "660100000001"
    assert billed.payer == "Иванова Анна"
    assert billed.address == "г.\u00a0Екатеринбург, ул.\u00a0Малышева, д.\u00a012а, кв.\u00a05"  # no line ends on «г.»
    assert [line.title for line in billed.lines] == [
        "Электроснабжение (Т1)",
        "Электроснабжение (Т2)",
        "Горячее водоснабжение",
    ]
    assert billed.lines[0].volume == Decimal("150.000")
    assert billed.lines[0].tariff == Decimal("6.7100")
    assert billed.lines[0].amount == Decimal("1006.50")
    # 1006.50 + 236.60 + 993.08 accrued, −200 recalculated
    assert billed.accrued == Decimal("2236.18")
    assert billed.recalculations == Decimal("-200.00")
    assert billed.opening == Decimal("500.00")
    assert billed.paid == Decimal("1000.00")
    assert billed.closing == Decimal("1536.18")  # 500 + 2036.18 − 1000
    assert billed.to_pay == Decimal("1536.18")
    assert billed.overpaid == Decimal("0")
    assert billed.due == date(2026, 11, 10)
    assert billed.recalculated_lines[0].recalculation_reason == "Перерасчёт | временное отсутствие"
    assert billed.file_name == "kvitanciya-660100000001-2026-10.pdf"
    assert billed.period_name == "октябрь 2026"


def test_overpayment_means_nothing_to_pay(account, customer):
    make_billed(account, paid="5000.00")
    bill = bill_data(account, PERIOD)
    assert bill.closing == Decimal("-2463.82")
    assert bill.to_pay == Decimal("0")
    assert bill.overpaid == Decimal("2463.82")


def test_money_on_the_bill_is_decimal_never_float(billed):
    def walk(value):
        if isinstance(value, float):
            raise AssertionError(f"float in the bill: {value!r}")
        if is_dataclass(value):
            for item in fields(value):
                walk(getattr(value, item.name))
        elif isinstance(value, tuple | list):
            for item in value:
                walk(item)

    walk(billed)
    for name in ("accrued", "recalculations", "total_accrued", "paid", "to_pay", "overpaid", "opening", "closing"):
        assert isinstance(getattr(billed, name), Decimal), name
        assert getattr(billed, name).as_tuple().exponent == -2, f"{name} is in kopecks"


def test_a_month_without_accruals_has_no_bill(account, customer):
    make_billed(account)
    with pytest.raises(NoBill):
        bill_data(account, date(2026, 11, 1))


def test_a_month_without_rebuilt_balances_carries_the_last_closing(account, customer):
    make_billed(account)
    accrue(account, date(2026, 11, 1))  # balances not rebuilt for November
    bill = bill_data(account, date(2026, 11, 1))
    assert bill.opening == Decimal("1536.18")
    assert bill.closing == bill.opening + bill.total_accrued


def test_an_account_nobody_holds_has_no_payer_name(account):
    make_billed(account)
    bill = bill_data(account, PERIOD)
    assert bill.payer == ""
    assert ("LastName", "") not in payment_qr_fields(bill)


def test_the_fingerprint_follows_the_content(account, customer):
    make_billed(account)
    before = bill_data(account, PERIOD).fingerprint()
    assert bill_data(account, PERIOD).fingerprint() == before
    Payment.objects.create(account=account, paid_on=date(2026, 10, 20), amount=Decimal("1.00"), channel="bank")
    assert bill_data(account, PERIOD).fingerprint() != before


def test_bills_data_says_for_each_account_what_bill_data_says(account, customer):
    make_billed(account)
    Payment.objects.create(account=account, paid_on=date(2026, 10, 2), amount=Decimal("7.00"), channel="bank")
    also_paid = make_account(account.region, "660100000004", flat="8")
    make_billed(also_paid, paid="300.00")
    not_rebuilt = make_account(account.region, "660100000002", flat="6")
    accrue(not_rebuilt, PERIOD)
    rebuilt_before = make_account(account.region, "660100000005", flat="9")
    make_billed(rebuilt_before, period=previous_month(PERIOD), opening="100.00")
    accrue(rebuilt_before, PERIOD)  # October accrued, its balances not rebuilt yet
    unbilled = make_account(account.region, "660100000003", flat="7")
    accounts = list(PersonalAccount.objects.select_related("premises", "region", "link__user").order_by("pk"))
    expected = {a.pk: bill_data(a, PERIOD) for a in (account, also_paid, not_rebuilt, rebuilt_before)}
    assert len(expected[account.pk].payments) == 2
    assert [p.amount for p in expected[also_paid.pk].payments] == [Decimal("300.00")]
    assert expected[rebuilt_before.pk].opening != 0, "September's closing carried forward"
    assert bills_data(accounts, PERIOD) == expected
    assert unbilled.pk not in expected


# --- The QR code: ГОСТ Р 56042-2014 -----------------------------------------------------------
def parse(payload: str) -> tuple[str, list[tuple[str, str]]]:
    header, *pairs = payload.split("|")
    return header, [tuple(pair.split("=", 1)) for pair in pairs]


def test_qr_header_says_version_0001_and_utf8(billed):
    header, _ = parse(payment_qr_payload(billed))
    assert header == "ST00012"  # «ST», version «0001», encoding «2» = UTF-8


def test_qr_required_block_comes_first_in_the_standards_order(billed):
    _, pairs = parse(payment_qr_payload(billed))
    assert [key for key, _ in pairs[:5]] == ["Name", "PersonalAcc", "BankName", "BIC", "CorrespAcc"]
    assert list(QR_REQUIRED) == ["Name", "PersonalAcc", "BankName", "BIC", "CorrespAcc"]
    assert dict(pairs[:5]) == {
        "Name": PAYEE["payee_name"],
        "PersonalAcc": PAYEE["bank_account"],
        "BankName": PAYEE["bank_name"],
        "BIC": PAYEE["bank_bic"],
        "CorrespAcc": PAYEE["bank_corr_account"],
    }


def test_qr_additional_fields(billed):
    _, pairs = parse(payment_qr_payload(billed))
    keys = [key for key, _ in pairs]
    assert keys == [
        "Name", "PersonalAcc", "BankName", "BIC", "CorrespAcc",
        "Sum", "Purpose", "PayeeINN", "KPP", "PersAcc", "LastName", "FirstName", "PayerAddress", "PaymPeriod",
    ]  # fmt: skip
    values = dict(pairs)
    assert values["Sum"] == "153618", "kopecks, digits only"
    assert values["PayeeINN"] == "6670000014"
    assert values["KPP"] == "666643001"
    assert values["PersAcc"] == "660100000001"
    assert values["LastName"] == "Иванова"
    assert values["FirstName"] == "Анна"
    assert values["PayerAddress"] == "г. Екатеринбург, ул. Малышева, д. 12а, кв. 5"
    assert values["PaymPeriod"] == "102026", "MMYYYY"
    assert values["Purpose"] == "Оплата по лицевому счёту 660100000001 за 10.2026"


def test_qr_sum_is_whole_kopecks_of_the_amount_to_pay(billed):
    assert dict(parse(payment_qr_payload(billed))[1])["Sum"] == str(int(billed.to_pay * 100))
    assert re.fullmatch(r"\d+", dict(parse(payment_qr_payload(billed))[1])["Sum"])


def test_qr_has_no_sum_when_nothing_is_due(account, customer):
    make_billed(account, paid="5000.00")
    _, pairs = parse(payment_qr_payload(bill_data(account, PERIOD)))
    assert "Sum" not in dict(pairs), "the banking app asks the payer for an amount"


def test_qr_values_never_contain_the_separator_or_line_breaks(account, customer):
    make_billed(account)
    Region.objects.filter(pk=account.region_id).update(payee_name="АО | «Энергосбыт»\nфилиал", bank_name="Банк|Демо")
    customer.last_name = "Иванова|Петрова"
    customer.save()
    account.refresh_from_db()
    payload = payment_qr_payload(bill_data(account, PERIOD))
    _, pairs = parse(payload)
    assert payload.count("|") == len(pairs), "one separator per field"
    assert all("|" not in value and "\n" not in value for _, value in pairs)
    assert dict(pairs)["Name"] == "АО «Энергосбыт» филиал"
    assert dict(pairs)["LastName"] == "Иванова Петрова"


def test_qr_values_stay_within_the_standards_lengths(account, customer):
    make_billed(account)
    Region.objects.filter(pk=account.region_id).update(bank_name="Очень длинное название банка " * 3)
    account.refresh_from_db()
    _, pairs = parse(payment_qr_payload(bill_data(account, PERIOD)))
    for key, value in pairs:
        assert len(value) <= QR_LIMITS.get(key, 10**6), key
    assert len(dict(pairs)["BankName"]) == 45


def test_qr_is_utf8(billed):
    payload = payment_qr_payload(billed)
    assert payload.encode("utf-8").decode("utf-8") == payload
    assert "Энергосбыт" in payload


def test_qr_without_bank_details_is_refused(account, customer):
    make_billed(account)
    Region.objects.filter(pk=account.region_id).update(bank_bic="")
    account.refresh_from_db()
    with pytest.raises(ValueError, match="bank details"):
        payment_qr_payload(bill_data(account, PERIOD))


def test_qr_symbol_of_the_bill_is_segnos(billed):
    data = payment_qr_payload(billed).encode("utf-8")
    expected = segno.make(data, mode="byte", error="m", micro=False, mask=MASK, boost_error=False)
    assert expected.version == version_for(len(data)) > 10
    assert qr_matrix(data) == tuple(bytes(row) for row in expected.matrix)


# --- The PDF ---------------------------------------------------------------------------------
def test_pdf_text_has_the_account_number_the_amount_and_cyrillic(billed):
    pdf = render_bill_pdf(billed)
    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf)
    assert "660100000001" in text
    assert "1 536,18 ₽" in text
    assert "Квитанция за октябрь 2026" in text
    assert "Иванова Анна" in text
    assert "Горячее водоснабжение" in text
    assert "Перерасчёт | временное отсутствие" in text
    assert "Оплатить до 10.11.2026" in text
    assert "ИНН 6670000014" in text
    assert "05.10.2026" in text, "the payment of the month"


@pytest.mark.parametrize("paid", ["1000.00", "5000.00"], ids=["debt", "overpaid"])
def test_pdf_qr_code_decodes_to_the_gost_payload(account, customer, paid):
    make_billed(account, paid=paid)
    bill = bill_data(account, PERIOD)
    [code] = pdf_qr_codes(render_bill_pdf(bill))
    assert code.bytes == payment_qr_payload(bill).encode("utf-8")
    assert code.text == payment_qr_payload(bill)
    assert code.ec_level == "M"


def test_pdf_embeds_the_shipped_font(billed):
    reader = PdfReader(BytesIO(render_bill_pdf(billed)))
    fonts = {str(font["/BaseFont"]) for font in reader.pages[0]["/Resources"]["/Font"].values()}
    assert any("DejaVuSans" in font for font in fonts), fonts
    assert reader.metadata.title == "Квитанция за октябрь 2026, лицевой счёт 660100000001"


def font_files(pdf: bytes) -> dict[str, tuple[bytes, int]]:
    """The embedded TrueType files by font name: the file, and the length its stream declares."""
    fonts = PdfReader(BytesIO(pdf)).pages[0]["/Resources"]["/Font"].values()
    files = {}
    for font in (font.get_object() for font in fonts):
        if "/FontDescriptor" in font:
            stream = font["/FontDescriptor"]["/FontFile2"].get_object()
            files[str(font["/BaseFont"])] = stream.get_data(), stream["/Length1"]
    return files


def test_pdfs_of_different_people_embed_the_same_font_files(account, customer):
    make_billed(account)
    other = make_account(account.region, "660100000002", flat="6")
    make_customer("+79120000002", other, first_name="Щукарь", last_name="Эльдаров-Юнусов")
    make_billed(other, paid="5000.00")
    first, second = (render_bill_pdf(bill_data(a, PERIOD)) for a in (account, other))
    assert "Эльдаров-Юнусов Щукарь" in pdf_text(second)
    assert font_files(first) == font_files(second), "the subsets start with the whole alphabet"
    for file, length in font_files(first).values():
        assert file[:4] == b"\0\1\0\0" and len(file) == length, "a TrueType file, its length declared"


def test_pdf_with_characters_beyond_the_alphabet(account, customer):
    make_billed(account)
    customer.first_name, customer.last_name = "Zoë", "Müller"
    customer.save()
    account.refresh_from_db()
    pdf = render_bill_pdf(bill_data(account, PERIOD))
    assert "Müller Zoë" in pdf_text(pdf)
    assert render_bill_pdf(bill_data(account, PERIOD)) == pdf


def test_pdf_is_the_same_for_the_same_data(billed):
    assert render_bill_pdf(billed) == render_bill_pdf(billed)


def test_pdfs_rendered_in_threads_at_once_are_those_rendered_one_by_one(billed):
    """Web server threads share the font faces: a subset built while another thread builds one
    (ReportLab moves a read position in the shared face) must not corrupt either, nor the kept
    file. Eight threads render each bill at once, so they reach the subsets together; 1 500
    rare letters give each bill several subsets of its own, and a short switch interval makes
    the threads interleave inside the builds."""
    letters = "".join(chr(code) for code in range(0x100, 0x2000) if chr(code).isalpha())
    first, *others = billed.lines  # a service's name: printed, not in the QR code
    bills = [replace(billed, lines=(replace(first, service=letters[n : n + 1500]), *others)) for n in range(10)]
    register_fonts()
    faces = [pdfmetrics.getFont(name).face for name in (FONT, FONT_BOLD)]

    def forget_subsets():
        for face in faces:
            face.files.clear()

    forget_subsets()
    expected = [render_bill_pdf(bill) for bill in bills]
    forget_subsets()
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            rendered = [set(pool.map(render_bill_pdf, [bill] * 8)) for bill in bills]
    finally:
        sys.setswitchinterval(interval)
    assert rendered == [{pdf} for pdf in expected]
    assert [render_bill_pdf(bill) for bill in bills] == expected, "the kept subsets are sound"


def test_pdf_without_bank_details_says_where_to_ask(account, customer):
    make_billed(account)
    Region.objects.filter(pk=account.region_id).update(bank_account="")
    account.refresh_from_db()
    text = pdf_text(render_bill_pdf(bill_data(account, PERIOD)))
    assert "Реквизиты для оплаты уточняйте в контактном центре" in text
    assert "Оплата по QR-коду" not in text


def test_pdf_with_overpayment(account, customer):
    make_billed(account, paid="5000.00")
    text = pdf_text(render_bill_pdf(bill_data(account, PERIOD)))
    assert "Итого к оплате 0,00 ₽" in text
    assert "Переплата: 2 463,82 ₽" in text
