"""The payment QR code of a bill in the format of ГОСТ Р 56042-2014: what banking apps read to
fill in the payee, the account, the period and the amount."""

from kabinet.billing.bills import BillData
from kabinet.billing.money import in_kopecks

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
