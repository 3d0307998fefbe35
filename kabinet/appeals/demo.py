"""Demo data of appeals for `manage.py load_demo`: the taxonomy from utility practice, the
back-office staff, and a few appeals in different states. Idempotent like billing's demo."""

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from kabinet.appeals import operators, services
from kabinet.appeals.models import Appeal, ContactMethod, Reason, StaffRole, Status, Topic
from kabinet.billing.models import PersonalAccount, Region
from kabinet.identity.models import User

STAFF_PASSWORD = "Staff-Demo-2026!"


@dataclass(frozen=True)
class ReasonSpec:
    name: str
    documents: str = ""
    days: int = 10


TAXONOMY: dict[str, tuple[ReasonSpec, ...]] = {
    "Лицевой счёт": (
        ReasonSpec(
            "Изменение количества зарегистрированных (проживающих)",
            "Справка о зарегистрированных (выписка из домовой книги) или свидетельства о регистрации "
            "по месту пребывания; для выбывших — документ о снятии с учёта.",
        ),
        ReasonSpec(
            "Перерасчёт",
            "Документы об основании перерасчёта: справка о временном отсутствии (проездные документы, "
            "справка из больницы или с места учёбы), акт проверки прибора учёта.",
        ),
        ReasonSpec(
            "Смена собственника",
            "Выписка из ЕГРН или договор купли-продажи (дарения, мены); паспорт нового собственника "
            "(страницы с фото и регистрацией); показания прибора учёта на дату смены.",
        ),
        ReasonSpec("Другое"),
    ),
    "Показания и приборы учёта": (
        ReasonSpec(
            "Ввод или замена прибора учёта",
            "Паспорт прибора учёта с отметкой о поверке, акт замены или ввода в эксплуатацию, фото "
            "прибора с показаниями, заводским номером и пломбой.",
        ),
        ReasonSpec("Неверно учтены показания", "Фото прибора учёта, на котором видны показания и заводской номер.", 5),
    ),
    "Оплата": (
        ReasonSpec("Платёж не учтён", "Чек или выписка банка с датой, суммой и номером лицевого счёта.", 5),
        ReasonSpec(
            "Возврат переплаты", "Заявление с банковскими реквизитами для возврата и копия паспорта владельца счёта."
        ),
    ),
    "Качество услуги": (
        ReasonSpec(
            "Перерывы в электроснабжении",
            "Укажите в тексте, когда начался и закончился перерыв; приложите фото или видео, если есть.",
        ),
        ReasonSpec(
            "Низкое или высокое напряжение", "Фото показаний вольтметра или описание, какие приборы не работают."
        ),
    ),
    "Вопрос": (ReasonSpec("Вопрос по начислениям"), ReasonSpec("Другой вопрос")),
}


@dataclass(frozen=True)
class StaffSpec:
    email: str
    first_name: str
    last_name: str
    role: str
    regions: tuple[str, ...]


STAFF: tuple[StaffSpec, ...] = (
    StaffSpec("operator@demo.kabinet.local", "Ирина", "Оператор", StaffRole.Role.OPERATOR, ("66",)),
    StaffSpec("operator2@demo.kabinet.local", "Дмитрий", "Оператор", StaffRole.Role.OPERATOR, ("66",)),
    StaffSpec("supervisor@demo.kabinet.local", "Елена", "Руководитель", StaffRole.Role.SUPERVISOR, ("66", "59")),
    StaffSpec("perm.operator@demo.kabinet.local", "Павел", "Оператор", StaffRole.Role.OPERATOR, ("59",)),
)


def ensure_taxonomy(lines: list[str]) -> None:
    for t_order, (topic_name, reasons) in enumerate(TAXONOMY.items(), start=1):
        topic, created = Topic.objects.get_or_create(name=topic_name, defaults={"ordering": t_order})
        for r_order, spec in enumerate(reasons, start=1):
            Reason.objects.get_or_create(
                topic=topic,
                name=spec.name,
                defaults={"documents_hint": spec.documents, "answer_days": spec.days, "ordering": r_order},
            )
        if created:
            lines.append(f"topic «{topic_name}» with {len(reasons)} reasons")


def ensure_staff(lines: list[str]) -> dict[str, StaffRole]:
    roles = {}
    for spec in STAFF:
        user = User.objects.filter(email__iexact=spec.email).first()
        if user is None:
            user = User.objects.create_user(
                None, STAFF_PASSWORD, email=spec.email, first_name=spec.first_name, last_name=spec.last_name
            )
            lines.append(f"staff {spec.email} ({spec.role})")
        role, created = StaffRole.objects.get_or_create(user=user, defaults={"role": spec.role})
        if created:
            role.regions.set(Region.objects.filter(code__in=spec.regions))
        roles[spec.email] = role
    return roles


def _draft(number: str, reason: str, text: str, method: str = ContactMethod.PHONE) -> services.AppealDraft:
    return services.AppealDraft(
        account=PersonalAccount.objects.get(number=number),
        reason=Reason.objects.get(name=reason),
        text=text,
        contact_method=method,
    )


def ensure_appeals(roles: dict[str, StaffRole], lines: list[str]) -> None:
    """A few appeals so that the queue and «Мои обращения» are not empty: skipped when the
    demo customers are missing or already have appeals."""
    anna = User.objects.filter(phone="+79120000001").first()
    petr = User.objects.filter(phone="+79120000002").first()
    if anna is None or petr is None or Appeal.objects.filter(customer__in=[anna, petr]).exists():
        return
    operator = roles["operator@demo.kabinet.local"]
    services.submit_appeal(
        anna,
        _draft("660100012345", "Изменение количества зарегистрированных (проживающих)",
               "С 1 ноября в квартире зарегистрированы 3 человека вместо 2: родилась дочь. Прошу изменить "
               "количество проживающих для начислений.", ContactMethod.EMAIL),
    )  # fmt: skip
    paid = services.submit_appeal(
        anna,
        _draft("660100054321", "Платёж не учтён",
               "Оплатила 1 540,20 ₽ 5 октября через банк, в начислениях платёж не отражён."),
    )  # fmt: skip
    operators.take(operator, paid.pk)
    operators.reply(
        operator,
        paid.pk,
        operators.Reply(
            text="Платёж найден и зачислен на лицевой счёт 660100054321 14 октября. Приносим извинения "
            "за задержку: банк передал реестр платежей с опозданием.",
            status=Status.ANSWERED,
            uploads=[],
        ),
    )
    late = services.submit_appeal(
        petr, _draft("660100011111", "Перерывы в электроснабжении", "Третий день подряд по вечерам гаснет свет.")
    )
    operators.take(operator, late.pk)
    # An overdue appeal, for the queue to show one.
    Appeal.objects.filter(pk=late.pk).update(
        created_at=timezone.now() - timedelta(days=20), deadline=timezone.localdate() - timedelta(days=3)
    )
    lines.append("3 demo appeals (new, answered, overdue)")


@transaction.atomic
def load_demo() -> list[str]:
    lines: list[str] = []
    ensure_taxonomy(lines)
    roles = ensure_staff(lines)
    ensure_appeals(roles, lines)
    return lines
