"""Users of the old portal (G2): import with their old password hashes.

The file format is in docs/legacy-users.md. Nothing is re-hashed on import (a million
argon2 hashes would take hours, and we do not know the passwords): the old hash is stored
under a legacy algorithm, checked at the first login and replaced with argon2id then.
"""

from dataclasses import dataclass, field
import re
from typing import TextIO

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from kabinet.billing.models import PersonalAccount, Region
from kabinet.billing.registry import AccountNotFound, find_account
from kabinet.core.csv_import import RowError, reader_with_columns
from kabinet.identity.models import AccountLink, User
from kabinet.identity.names import InvalidName, normalize_name
from kabinet.identity.phones import InvalidPhone, normalize_phone

COLUMNS = [
    "legacy_login",
    "phone",
    "email",
    "last_name",
    "first_name",
    "hash_algorithm",
    "password_hash",
    "accounts",
    "region",
    "blocked",
]
HASH_FORMATS = {
    "md5": ("legacy_md5", re.compile(r"[0-9a-f]{32}")),
    "sha1": ("legacy_sha1", re.compile(r"[0-9a-f]{40}")),
    "bcrypt": ("legacy_bcrypt", re.compile(r"\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}")),
}
TRUE, FALSE = {"1", "true", "yes", "да"}, {"", "0", "false", "no", "нет"}
LEGACY_PREFIX = "legacy_"


@dataclass
class LegacyUser:
    login: str
    phone: str | None
    email: str | None
    last_name: str
    first_name: str
    password: str  # Django's encoded form: «legacy_md5$…»
    accounts: list[PersonalAccount]
    blocked: bool


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0  # already signed in on the new portal: their data is theirs now
    errors: list[str] = field(default_factory=list)


def import_legacy_users(stream: TextIO, *, dry_run: bool = False) -> ImportReport:
    """Create or update users from the old portal's export. Rows with errors are skipped and
    reported with their line numbers; the rest is imported (nothing at all on a dry run)."""
    reader = reader_with_columns(stream, COLUMNS)
    regions = _RegionIndex()
    report = ImportReport()
    with transaction.atomic():
        for row in reader:
            line = reader.line_num
            try:
                with transaction.atomic():
                    _import_row(_parse(row, regions), report)
            except RowError as exc:
                report.errors.append(f"строка {line}: {exc}")
            except IntegrityError:
                report.errors.append(f"строка {line}: телефон, e-mail или логин уже заняты")
        if dry_run:
            transaction.set_rollback(True)
    return report


class _RegionIndex:
    """Regions by code or by name, as the export may give either."""

    def __init__(self) -> None:
        regions = list(Region.objects.all())
        self.by_key = {r.code: r for r in regions} | {r.name.casefold(): r for r in regions}

    def get(self, key: str) -> Region:
        region = self.by_key.get(key.strip().casefold())
        if region is None:
            raise RowError(f"неизвестный регион «{key}»")
        return region


def _parse(row: dict, regions: _RegionIndex) -> LegacyUser:
    values = {name: (row.get(name) or "").strip() for name in COLUMNS}
    login = values["legacy_login"]
    if not login or len(login) > 150:
        raise RowError("legacy_login пуст или длиннее 150 символов")
    accounts = _accounts(values["accounts"], values["region"], regions)
    phone, email = _phone(values["phone"]), _email(values["email"])
    if not (phone or email or accounts):
        raise RowError("нет ни телефона, ни e-mail, ни лицевого счёта: пользователь не сможет войти")
    return LegacyUser(
        login=login,
        phone=phone,
        email=email,
        last_name=_name("last_name", values["last_name"]),
        first_name=_name("first_name", values["first_name"]),
        password=_password(values["hash_algorithm"], values["password_hash"]),
        accounts=accounts,
        blocked=_flag(values["blocked"]),
    )


def _name(column: str, text: str) -> str:
    # The portal's one rule for names: a line break or a URL must not reach bills and SMS.
    try:
        return normalize_name(text)
    except InvalidName as error:
        raise RowError(f"{column} «{text[:40]}»: {error}") from None


def _phone(text: str) -> str | None:
    if not text:
        return None
    try:
        return normalize_phone(text)
    except InvalidPhone:
        raise RowError(f"неверный телефон «{text}»") from None


def _email(text: str) -> str | None:
    if not text:
        return None
    try:
        validate_email(text)
    except ValidationError:
        raise RowError(f"неверный e-mail «{text}»") from None
    return text.lower()


def _password(algorithm: str, digest: str) -> str:
    known = HASH_FORMATS.get(algorithm.lower())
    if known is None:
        raise RowError(f"неизвестный hash_algorithm «{algorithm}» (ожидается md5, sha1 или bcrypt)")
    name, pattern = known
    if algorithm.lower() != "bcrypt":
        digest = digest.lower()
    if not pattern.fullmatch(digest):
        raise RowError(f"password_hash не похож на {algorithm}")
    return f"{name}${digest}"


def _accounts(numbers: str, region_key: str, regions: _RegionIndex) -> list[PersonalAccount]:
    numbers_list = [n for n in re.split(r"[;\s]+", numbers) if n]
    if not numbers_list:
        return []
    region = regions.get(region_key)
    accounts = []
    for number in numbers_list:
        try:
            accounts.append(find_account(region, number))
        except AccountNotFound:
            raise RowError(f"лицевой счёт {number} не найден в регионе «{region.name}»") from None
    return accounts


def _flag(text: str) -> bool:
    if text.lower() in TRUE:
        return True
    if text.lower() in FALSE:
        return False
    raise RowError(f"blocked: «{text}» — ожидается 1 или 0")


def _import_row(data: LegacyUser, report: ImportReport) -> None:
    user = User.objects.filter(legacy_login=data.login).first()
    if user is not None and not user.password.startswith(LEGACY_PREFIX):
        report.unchanged += 1
        return
    _check_conflicts(data, user)
    created = user is None
    user = user or User(legacy_login=data.login)
    user.phone, user.email = data.phone, data.email
    user.first_name, user.last_name = data.first_name, data.last_name
    user.password = data.password
    user.is_active = not data.blocked
    user.save()
    for account in data.accounts:
        AccountLink.objects.get_or_create(account=account, defaults={"user": user})
    if created:
        report.created += 1
    else:
        report.updated += 1


def _check_conflicts(data: LegacyUser, user: User | None) -> None:
    others = User.objects.exclude(pk=user.pk) if user else User.objects.all()
    if data.phone and others.filter(phone=data.phone).exists():
        raise RowError(f"телефон {data.phone} уже у другого пользователя")
    if data.email and others.filter(email__iexact=data.email).exists():
        raise RowError(f"e-mail {data.email} уже у другого пользователя")
    taken = AccountLink.objects.filter(account__in=data.accounts).select_related("account")
    if user is not None:
        taken = taken.exclude(user=user)
    if link := taken.first():
        raise RowError(f"лицевой счёт {link.account.number} уже привязан к другому пользователю")
