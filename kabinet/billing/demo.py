"""Demo data for `manage.py load_demo`: regions, a seeded registry, and demo customers.

The registry is not stored here: `registry_rows` gives it as the lines of formats/accounts.md
and kabinet.exchange.demo writes them to a file and loads it through the exchange, like a
billing system's file (exchange imports billing, not the other way round). Regions and
people are Kabinet's own and are created here with the ORM.

Everything here is idempotent: each step looks for what it would create and skips it when it
is there, so `make run` can call the loader on every start and it costs a few dozen queries.
Existing rows are never changed, so a region switched off in the admin or a demo password
changed by a visitor stays as it is; the one exception is a region's payee details for bills,
whose empty fields are filled (never overwritten), so databases created before bills existed
get a payment QR code too.

The generated registry is deterministic (a seeded random generator); the accounts the README
names are not random at all: they are spelled out in SHOWCASE and CUSTOMERS below, and
tests/billing/test_demo.py checks that the README and this module agree.

Why customers are created here, in billing: the demo is one scenario that spans the registry
and the people holding its accounts, and the README names both together. Keeping them in one
module keeps numbers, houses and credentials in step. Only this loader (called by a management
command, never by the portal) imports identity from billing; billing's runtime code does not.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import islice
import random

from kabinet.billing.models import PersonalAccount, Region
from kabinet.identity.models import AccountLink, ConsentAcceptance, ConsentDocument, User

SEED = 20260601
DEMO_PASSWORD = "Demo-2026!"
ADMIN_PHONE = "+79990000000"
ADMIN_PASSWORD = "Admin-Demo-2026!"


# --- Regions ------------------------------------------------------------------------------
@dataclass(frozen=True)
class RegionSpec:
    code: str
    name: str
    contact_phone: str
    host: str  # <host>.example.ru: a reserved-looking name, never a real site
    pattern: str
    hint: str
    ordering: int
    is_default: bool = False

    @property
    def feedback_url(self) -> str:
        return f"https://{self.host}.example.ru/feedback/"


# No pattern admits 11 digits: an 11-digit login is a phone number (docs/identifiers.md).
REGIONS: tuple[RegionSpec, ...] = (
    RegionSpec("66", "Свердловский", "8-800-700-10-32", "ekb", r"\d{12}", "12 цифр, как в квитанции", 1, True),
    RegionSpec("59", "Пермский", "8-800-700-10-59", "perm", r"\d{10}", "10 цифр, как в квитанции", 2),
    RegionSpec("43", "Кировский", "8-800-700-10-43", "kirov", r"\d{10}", "10 цифр, как в квитанции", 3),
    RegionSpec("18", "Удмуртский", "8-800-700-10-18", "izhevsk", r"\d{9}", "9 цифр, как в квитанции", 4),
    RegionSpec("56", "Оренбургский", "8-800-700-10-56", "orenburg", r"\d{12}", "12 цифр, как в квитанции", 5),
    RegionSpec("63", "Самарский", "8-800-700-10-63", "samara", r"\d{10}", "10 цифр, как в квитанции", 6),
    RegionSpec("64", "Саратовский", "8-800-700-10-64", "saratov", r"\d{10}", "10 цифр, как в квитанции", 7),
    RegionSpec("33", "Владимирский", "8-800-700-10-33", "vladimir", r"\d{12}", "12 цифр, как в квитанции", 8),
    RegionSpec("37", "Ивановский", "8-800-700-10-37", "ivanovo", r"\d{12}", "12 цифр, как в квитанции", 9),
    RegionSpec("12", "Марий Эл и Чувашия", "8-800-700-10-12", "cheboksary", r"\d{10}", "10 цифр, как в квитанции", 10),
)


# The payee on bills and in their payment QR code: a fictional company and bank ("Демобанк")
# with numbers of the right shape and valid check digits, so banking apps parse the QR code,
# and nothing that pays a real company.
DEMO_BANK = {"bank_name": "АО «Демобанк»", "bank_bic": "044525999"}
DEMO_OFFICES = {
    "66": "620014, г. Екатеринбург",
    "59": "614000, г. Пермь",
    "43": "610000, г. Киров",
    "18": "426000, г. Ижевск",
    "56": "460000, г. Оренбург",
    "63": "443000, г. Самара",
    "64": "410000, г. Саратов",
    "33": "600000, г. Владимир",
    "37": "153000, г. Иваново",
    "12": "428000, г. Чебоксары",
}
PAYEE_FIELDS = (
    "payee_name", "payee_inn", "payee_kpp", "bank_name", "bank_bic", "bank_corr_account", "bank_account",
    "company_address",
)  # fmt: skip


def _inn10(first9: str) -> str:
    """A legal entity's INN: nine digits and the check digit of the tax service's algorithm."""
    weights = (2, 4, 10, 3, 5, 9, 4, 6, 8)
    return first9 + str(sum(int(d) * w for d, w in zip(first9, weights, strict=True)) % 11 % 10)


def _bank_account(prefix3: str, account: str) -> str:
    """Put the Bank of Russia check digit (9th of 20) into `account`: prefixed with three digits
    taken from the BIC, the weighted sum (7, 1, 3, …) of all 23 digits ends in 0."""
    digits = prefix3 + account[:8] + "0" + account[9:]
    total = sum(int(d) * (7, 1, 3)[i % 3] for i, d in enumerate(digits))
    return account[:8] + str(total * 3 % 10) + account[9:]


def payee_details(spec: RegionSpec) -> dict[str, str]:
    bic = DEMO_BANK["bank_bic"]
    return {
        "payee_name": f"АО «Энергосбыт» ({spec.name} филиал)"
        if " " not in spec.name
        else f"АО «Энергосбыт» (филиал «{spec.name}»)",
        "payee_inn": _inn10(f"{int(spec.code):02d}7000001"),
        "payee_kpp": f"{int(spec.code):02d}{int(spec.code):02d}43001",
        **DEMO_BANK,
        "bank_corr_account": _bank_account("0" + bic[4:6], "30101810000000000" + bic[-3:]),
        "bank_account": _bank_account(bic[-3:], f"407028100160{int(spec.code):08d}"),
        "company_address": f"{DEMO_OFFICES.get(spec.code, '')}, ул. Примерная, д. 1".lstrip(", "),
    }


# --- The generated registry ---------------------------------------------------------------
# Real streets of Ekaterinburg (the centre, VIZ, Uralmash, Vtuzgorodok). Lenin is a «проспект»
# there, not a «улица»; Uralmash's «бульвар Культуры» is «ул. Культуры» in the land registry.
EKATERINBURG_STREETS: tuple[str, ...] = (
    "ул. Малышева",
    "пр. Ленина",
    "ул. 8 Марта",
    "ул. Вайнера",
    "ул. Куйбышева",
    "ул. Белинского",
    "ул. Радищева",
    "ул. Щорса",
    "ул. Фрунзе",
    "ул. Московская",
    "ул. Челюскинцев",
    "ул. Мамина-Сибиряка",
    "ул. Хохрякова",
    "ул. Сакко и Ванцетти",
    "ул. Бажова",
    "ул. Луначарского",
    "ул. Шейнкмана",
    "ул. Репина",
    "ул. Викулова",
    "ул. Крауля",
    "ул. Татищева",
    "ул. Металлургов",
    "пр. Космонавтов",
    "ул. Уральских рабочих",
    "ул. Машиностроителей",
    "ул. Кировградская",
    "ул. 40-летия Октября",
    "ул. Культуры",
    "ул. Мира",
    "ул. Комсомольская",
    "ул. Большакова",
    "ул. Степана Разина",
    "ул. Декабристов",
    "ул. Восточная",
)

# Real streets of Perm.
PERM_STREETS: tuple[str, ...] = (
    "ул. Ленина",
    "Комсомольский пр.",
    "ул. Сибирская",
    "ул. Петропавловская",
    "ул. Екатерининская",
    "ул. Пушкина",
    "ул. Монастырская",
    "ул. Революции",
    "ул. Крисанова",
    "ул. Газеты «Звезда»",
)


@dataclass(frozen=True)
class RegistryPlan:
    """How many premises to generate in one city of one region, and how."""

    region_code: str
    city: str
    streets: tuple[str, ...]
    premises: int
    number_prefix: str  # the generated numbers start with it; the rest are random digits
    number_length: int  # as the region's pattern asks
    closed_share: float = 0.02


REGISTRY_PLANS: tuple[RegistryPlan, ...] = (
    RegistryPlan("66", "Екатеринбург", EKATERINBURG_STREETS, 3000, "66", 12),
    RegistryPlan("59", "Пермь", PERM_STREETS, 300, "59", 10),
)


@dataclass(frozen=True)
class PlannedPremises:
    street: str
    house: str
    flat: str
    number: str  # the active account
    closed_number: str = ""  # the account it replaced, when the number changed
    closed_on: date | None = None


# --- Accounts and customers the README names ----------------------------------------------
@dataclass(frozen=True)
class ShowcaseAccount:
    region_code: str
    number: str
    city: str
    street: str
    house: str
    flat: str
    closed_on: date | None = None  # set: closed, replaced by `replaced_by`
    replaced_by: str = ""

    @property
    def is_closed(self) -> bool:
        return self.closed_on is not None


SHOWCASE: tuple[ShowcaseAccount, ...] = (
    # Анна Иванова's two accounts.
    ShowcaseAccount("66", "660100012345", "Екатеринбург", "ул. Малышева", "12а", "5"),
    ShowcaseAccount("66", "660100054321", "Екатеринбург", "ул. 8 Марта", "45/2", "17"),
    # Пётр Смирнов, no e-mail.
    ShowcaseAccount("66", "660100011111", "Екатеринбург", "ул. Викулова", "33б", "41"),
    # Ольга Кузнецова: her number changed; the new one is not in her profile yet.
    ShowcaseAccount("66", "660100022223", "Екатеринбург", "ул. Крауля", "3б", "8"),
    ShowcaseAccount("66", "660100022222", "Екатеринбург", "ул. Крауля", "3б", "8", date(2025, 12, 31), "660100022223"),
    # Сергей Попов, blocked.
    ShowcaseAccount("66", "660100033333", "Екатеринбург", "ул. Уральских рабочих", "27", "12"),
    # Free: nobody has registered them, so a visitor can.
    ShowcaseAccount("66", "660100044441", "Екатеринбург", "ул. Вайнера", "9а", "3"),
    ShowcaseAccount("66", "660100044442", "Екатеринбург", "пр. Ленина", "52", "14"),
    ShowcaseAccount("66", "660100044443", "Екатеринбург", "ул. Хохрякова", "10", "77"),
    ShowcaseAccount("66", "660100044444", "Екатеринбург", "пр. Космонавтов", "18/1", "102"),
    ShowcaseAccount("66", "660100044445", "Екатеринбург", "ул. Татищева", "115", ""),
    # Perm: Мария Соколова's account and a free one.
    ShowcaseAccount("59", "5900012345", "Пермь", "ул. Ленина", "50", "9"),
    ShowcaseAccount("59", "5900054321", "Пермь", "Комсомольский пр.", "34", "21"),
)

FREE_ACCOUNTS: tuple[str, ...] = (
    "660100044441",
    "660100044442",
    "660100044443",
    "660100044444",
    "660100044445",
    "660100022223",  # Ольга's new number: free, to add in «Профиль»
    "5900054321",
)


@dataclass(frozen=True)
class DemoCustomer:
    phone: str
    first_name: str
    last_name: str
    email: str = ""
    accounts: tuple[str, ...] = ()  # numbers, in SHOWCASE
    is_active: bool = True


CUSTOMERS: tuple[DemoCustomer, ...] = (
    DemoCustomer("+79120000001", "Анна", "Иванова", "anna@demo.kabinet.local", ("660100012345", "660100054321")),
    DemoCustomer("+79120000002", "Пётр", "Смирнов", "", ("660100011111",)),
    DemoCustomer("+79120000003", "Ольга", "Кузнецова", "olga@demo.kabinet.local", ("660100022222",)),
    DemoCustomer("+79120000004", "Сергей", "Попов", "sergey@demo.kabinet.local", ("660100033333",), False),
    DemoCustomer("+79120000005", "Мария", "Соколова", "maria@demo.kabinet.local", ("5900012345",)),
)


# --- What the loader did ------------------------------------------------------------------
@dataclass
class Report:
    regions: int = 0
    premises: int = 0
    accounts: int = 0
    closed_accounts: int = 0
    customers: int = 0
    superusers: int = 0
    histories: int = 0  # accounts given their meter and history (kabinet.exchange.demo)
    lines: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any((self.regions, self.premises, self.accounts, self.customers, self.superusers, self.histories))


# --- Regions ------------------------------------------------------------------------------
def ensure_regions(report: Report) -> dict[str, Region]:
    """Create the missing regions; existing ones keep whatever the admin set."""
    regions: dict[str, Region] = {}
    has_default = Region.objects.filter(is_default=True).exists()
    for spec in REGIONS:
        region, created = Region.objects.get_or_create(
            code=spec.code,
            defaults={
                "name": spec.name,
                "contact_phone": spec.contact_phone,
                "feedback_url": spec.feedback_url,
                "account_number_pattern": spec.pattern,
                "account_number_hint": spec.hint,
                # At most one default region (a constraint); keep one chosen in the admin.
                "is_default": spec.is_default and not has_default,
                "ordering": spec.ordering,
                **payee_details(spec),
            },
        )
        if not created:
            _fill_payee_details(region, spec)
        regions[spec.code] = region
        report.regions += created
    return regions


def _fill_payee_details(region: Region, spec: RegionSpec) -> None:
    """Fill the region's empty payee fields; whatever the admin entered stays."""
    missing = {name: value for name, value in payee_details(spec).items() if not getattr(region, name)}
    if missing:
        # set-based: not shown (manage.py demo's region before any account links it: no answer kept yet)
        Region.objects.filter(pk=region.pk).update(**missing)
        for name, value in missing.items():
            setattr(region, name, value)


# --- The generated registry ---------------------------------------------------------------
def _house_number(rng: random.Random) -> str:
    """«27», «12а», «45/2»: plain numbers mostly, some with a letter or a corner fraction."""
    number = rng.randint(1, 160)
    roll = rng.random()
    if roll < 0.12:
        return f"{number}{rng.choice('абв')}"
    if roll < 0.18:
        return f"{number}/{rng.randint(1, 4)}"
    return str(number)


def _buildings(rng: random.Random, streets: tuple[str, ...], taken: set[tuple[str, str]]) -> Iterator[tuple[str, str]]:
    """Distinct (street, house) pairs, never one that `taken` holds."""
    while True:
        building = (rng.choice(streets), _house_number(rng))
        if building not in taken:
            taken.add(building)
            yield building


def _flats(rng: random.Random) -> list[str]:
    """A block of flats mostly; one in ten is a private house without flats."""
    if rng.random() < 0.1:
        return [""]
    return [str(flat) for flat in range(1, rng.choice((12, 20, 36, 45, 60, 80)) + 1)]


def _unique_number(rng: random.Random, prefix: str, length: int, taken: set[str]) -> str:
    while True:
        number = prefix + "".join(rng.choices("0123456789", k=length - len(prefix)))
        if number not in taken:
            taken.add(number)
            return number


def _closed_on(rng: random.Random) -> date:
    return date(2024, 1, 1) + timedelta(days=rng.randrange(730))


def _places(
    rng: random.Random, streets: tuple[str, ...], taken: set[tuple[str, str]]
) -> Iterator[tuple[str, str, str]]:
    """(street, house, flat) without end, building after building."""
    for street, house in _buildings(rng, streets, taken):
        for flat in _flats(rng):
            yield street, house, flat


def plan_registry(plan: RegistryPlan) -> list[PlannedPremises]:
    """The premises and accounts of one plan: the same list on every run (seeded)."""
    rng = random.Random(f"{SEED}:{plan.region_code}")
    showcase = [s for s in SHOWCASE if s.region_code == plan.region_code]
    taken_numbers = {s.number for s in showcase}
    taken_buildings = {(s.street, s.house) for s in showcase}
    planned: list[PlannedPremises] = []
    for street, house, flat in islice(_places(rng, plan.streets, taken_buildings), plan.premises):
        number = _unique_number(rng, plan.number_prefix, plan.number_length, taken_numbers)
        if rng.random() < plan.closed_share:
            closed = _unique_number(rng, plan.number_prefix, plan.number_length, taken_numbers)
            planned.append(PlannedPremises(street, house, flat, number, closed, _closed_on(rng)))
        else:
            planned.append(PlannedPremises(street, house, flat, number))
    return planned


@dataclass(frozen=True)
class AccountRow:
    """One line of formats/accounts.md: how the demo hands its registry to the exchange."""

    region: str
    number: str
    city: str
    street: str
    house: str
    flat: str
    status: str = "active"
    replaced_by: str = ""
    closed_on: date | None = None


def registry_rows(regions: dict[str, Region], report: Report) -> Iterator[AccountRow]:
    """Every account of the demo registry, the generated plans' and the README's, the same on
    every run (so its file has the same checksum). A closed account comes after the one that
    replaced it and shares its premises (the same address). A region whose number pattern was
    changed in the admin is left out rather than failing the whole file."""
    for plan in REGISTRY_PLANS:
        region = regions[plan.region_code]
        planned = plan_registry(plan)
        if not region.account_number_matches(planned[-1].number):
            report.lines.append(f"{region.name}: its account number pattern was changed, registry not generated")
            continue
        for p in planned:
            yield AccountRow(plan.region_code, p.number, plan.city, p.street, p.house, p.flat)
            if p.closed_number:
                yield AccountRow(plan.region_code, p.closed_number, plan.city, p.street, p.house, p.flat,
                                 "closed", p.number, p.closed_on)  # fmt: skip
    for spec in SHOWCASE:
        if not regions[spec.region_code].account_number_matches(spec.number):
            report.lines.append(f"{spec.number}: does not match its region's number pattern, not loaded")
            continue
        status = "closed" if spec.is_closed else "active"
        yield AccountRow(spec.region_code, spec.number, spec.city, spec.street, spec.house, spec.flat,
                         status, spec.replaced_by, spec.closed_on)  # fmt: skip


def showcase_accounts() -> dict[str, PersonalAccount]:
    """The README's accounts that are in the registry, by number (customers hold them)."""
    accounts: dict[str, PersonalAccount] = {}
    for spec in SHOWCASE:
        account = PersonalAccount.objects.filter(region__code=spec.region_code, number=spec.number).first()
        if account is not None:
            accounts[spec.number] = account
    return accounts


# --- Customers ----------------------------------------------------------------------------
def ensure_customers(report: Report) -> None:
    """Create the demo customers that are missing, with their accounts and accepted consent."""
    accounts = showcase_accounts()
    consent = ConsentDocument.objects.order_by("-published_at").first()
    for spec in CUSTOMERS:
        if User.objects.filter(phone=spec.phone).exists():
            continue
        if problem := _customer_conflict(spec, accounts):
            report.lines.append(f"customer {spec.phone} not created: {problem}")
            continue
        user = User.objects.create_user(
            spec.phone,
            DEMO_PASSWORD,
            email=spec.email or None,
            first_name=spec.first_name,
            last_name=spec.last_name,
            is_active=spec.is_active,
        )
        for number in spec.accounts:
            AccountLink.objects.create(user=user, account=accounts[number])
        if consent is not None:
            # Real customers accept the consent when they register; the demo ones did too.
            ConsentAcceptance.objects.create(user=user, document=consent)
        report.customers += 1
        report.lines.append(f"customer {spec.first_name} {spec.last_name} {spec.phone}")


def _customer_conflict(spec: DemoCustomer, accounts: dict[str, PersonalAccount]) -> str:
    """Why the customer cannot be created as described, or "". A visitor may have registered
    a demo e-mail or account after deleting its demo customer in the admin; `make run` must
    still start then."""
    if missing := [number for number in spec.accounts if number not in accounts]:
        return f"account {', '.join(missing)} is not in the registry"
    if spec.email and User.objects.filter(email__iexact=spec.email).exists():
        return f"{spec.email} belongs to another user"
    taken = AccountLink.objects.filter(account__in=[accounts[number] for number in spec.accounts])
    if taken.exists():
        return "an account of theirs is held by another user"
    return ""


def ensure_superuser(report: Report) -> None:
    if User.objects.filter(phone=ADMIN_PHONE).exists():
        return
    User.objects.create_superuser(ADMIN_PHONE, ADMIN_PASSWORD, first_name="Администратор")
    report.superusers += 1
    report.lines.append(f"superuser {ADMIN_PHONE}")


# --- People -------------------------------------------------------------------------------
def ensure_people(report: Report) -> None:
    """The demo customers and the superuser; the registry must be loaded first
    (kabinet.exchange.demo loads it through the exchange, then calls this)."""
    ensure_customers(report)
    ensure_superuser(report)
