"""Rules registration and the profile share: whether a personal account may be linked to a
customer, whether a phone or e-mail is taken (and how often a form may ask), names."""

from datetime import datetime

from django.conf import settings

from kabinet.billing.houses import same_house
from kabinet.billing.models import PersonalAccount, Region
from kabinet.billing.registry import AccountNotFound, contact_phone, find_account
from kabinet.core import ratelimit
from kabinet.core.wording import when
from kabinet.identity.models import AccountLink, User
from kabinet.identity.names import InvalidName, normalize_name


class FieldRejected(Exception):
    """Input refused, with a message for one form field (None: for the whole form)."""

    status = 400

    def __init__(self, field: str | None, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


class TooManyRequests(FieldRejected):
    """Over a quota: the form may be sent again at `retry_at`."""

    status = 429

    def __init__(self, field: str | None, retry_at: datetime):
        super().__init__(field, f"Слишком много запросов. Повторите после {when(retry_at)}.")
        self.retry_at = retry_at


def account_limits(number: str, ip: str) -> list[ratelimit.Limit]:
    # House-number guessing against one account is bounded per account and per address;
    # the number is counted as check_linkable reads it (spaces removed).
    return [ratelimit.identifier_limit("link", "".join(number.split())), ratelimit.ip_limit("link", ip)]


def count_contact_use(field: str, address: str, *, user: User | None, ip: str) -> None:
    """Count one use of a form that mails `address` or says whether it is taken, before
    anything is looked up, stored or sent; raise TooManyRequests past the limits of the
    address, the user and the client's address. Every use counts, whatever the answer:
    without a bound such forms tell who is a customer and fill a stranger's inbox."""
    limits = [
        ratelimit.Limit(f"contact:address:{address.strip().lower()}", settings.KABINET_CONTACT_USES_PER_ADDRESS),
        ratelimit.Limit(f"contact:ip:{ip}", settings.KABINET_CONTACT_USES_PER_IP),
    ]
    if user is not None:
        limits.append(ratelimit.Limit(f"contact:user:{user.pk}", settings.KABINET_CONTACT_USES_PER_USER))
    if until := ratelimit.attempt(limits):
        raise TooManyRequests(field, until)


def checked_names(first_name: str, last_name: str) -> tuple[str, str]:
    """Both names as stored; raises FieldRejected at the name that breaks identity.names' rule."""
    names = []
    for field, value in (("first_name", first_name), ("last_name", last_name)):
        try:
            names.append(normalize_name(value))
        except InvalidName as error:
            raise FieldRejected(field, str(error)) from None
    return names[0], names[1]


def check_linkable(region: Region, number: str, house: str, *, user: User | None = None) -> PersonalAccount:
    """The active, unclaimed account with that number and house; raises FieldRejected or
    RegistryUnavailable."""
    number = "".join(number.split())
    if not region.account_number_matches(number):
        raise FieldRejected(
            "account_number", f"Номер лицевого счёта в регионе «{region}»: {region.account_number_hint}."
        )
    try:
        account = find_account(region, number)
    except AccountNotFound:
        raise FieldRejected(
            "account_number",
            f"Объект не найден: в регионе «{region}» нет лицевого счёта с таким номером. "
            "Проверьте номер по последней квитанции и выбранный регион.",
        ) from None
    if not same_house(house, account.premises.house):
        raise FieldRejected(
            "house", "Номер дома не совпадает с адресом лицевого счёта. Укажите номер дома, как в квитанции."
        )
    if not account.is_active:
        raise FieldRejected(
            "account_number",
            "Абонент не обслуживается: этот лицевой счёт закрыт. Проверьте номер в последней квитанции "
            "(сравните с предыдущей) — он мог измениться.",
        )
    holder = AccountLink.objects.filter(account=account).values_list("user_id", flat=True).first()
    if holder is not None and user is not None and holder == user.pk:
        raise FieldRejected("account_number", "Этот лицевой счёт уже есть в вашем профиле.")
    if holder is not None:
        raise FieldRejected(
            "account_number",
            "Этот лицевой счёт уже зарегистрирован в личном кабинете. Войдите или воспользуйтесь «Забыли пароль?».",
        )
    return account


def phone_taken(phone: str, *, exclude: User | None = None) -> bool:
    users = User.objects.filter(phone=phone)
    return users.exclude(pk=exclude.pk).exists() if exclude else users.exists()


def email_taken(email: str, *, exclude: User | None = None) -> bool:
    users = User.objects.filter(email__iexact=email)
    return users.exclude(pk=exclude.pk).exists() if exclude else users.exists()


def phone_taken_message() -> str:
    return (
        "Этот телефон уже указан в другой учётной записи. Войдите по номеру телефона "
        "или воспользуйтесь «Забыли пароль?»."
    )


def email_taken_message(region: Region | None) -> str:
    phone = contact_phone(region)
    return (
        "Повторная регистрация на этот e-mail невозможна. Обратитесь в «Обратную связь», "
        f"позвоните в контактный центр по номеру {phone} или укажите другой e-mail."
    )
