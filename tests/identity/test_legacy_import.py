"""G2: users of the old portal are imported with their old hashes and log in with their old
passwords through the real login view; the hash becomes argon2id on the first success."""

import hashlib
import io

import bcrypt
from django.core.management import CommandError, call_command
from django.urls import reverse
import pytest

from kabinet.billing.models import PersonalAccount
from kabinet.core.models import AuditEvent
from kabinet.identity.legacy import COLUMNS, import_legacy_users
from kabinet.identity.models import AccountLink, User
from kabinet.identity.names import RULE
from tests.factories import INVALID_LOGIN, make_account, make_customer, post_login, redirected_to

OLD_PASSWORD = "старый-пароль-2019"
HEADER = ",".join(COLUMNS)


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def sha1(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


def php_bcrypt(text: str) -> str:
    """What PHP's password_hash() stores: the $2y$ prefix."""
    return bcrypt.hashpw(text.encode(), bcrypt.gensalt(4)).decode().replace("$2b$", "$2y$")


def row(login="ivanov", phone="+79121234567", email="ivanov@mail.ru", algorithm="md5", digest=None,
        accounts="660100000001", region="66", blocked="0", last_name="Иванов", first_name="Иван"):  # fmt: skip
    digest = digest if digest is not None else md5(OLD_PASSWORD)
    return ",".join([login, phone, email, last_name, first_name, algorithm, digest, accounts, region, blocked])


def csv_file(tmp_path, *rows: str):
    path = tmp_path / "legacy.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def imported(tmp_path, account):
    def run(*rows: str, **options):
        call_command("import_legacy_users", csv_file(tmp_path, *rows), **options)

    return run


@pytest.mark.parametrize(
    ("algorithm", "digest"),
    [
        ("md5", md5(OLD_PASSWORD)),
        ("sha1", sha1(OLD_PASSWORD)),
        ("bcrypt", php_bcrypt(OLD_PASSWORD)),
        ("MD5", md5(OLD_PASSWORD).upper()),
    ],
)
@pytest.mark.parametrize("identifier", ["660100000001", "8 912 123-45-67", "Ivanov@mail.ru"])
def test_old_password_logs_in_and_is_upgraded_to_argon2(client, imported, sverdlovsk, algorithm, digest, identifier):
    imported(row(algorithm=algorithm, digest=digest))
    user = User.objects.get(legacy_login="ivanov")
    assert user.password.startswith("legacy_")

    response = post_login(client, identifier, OLD_PASSWORD, region=sverdlovsk)

    assert redirected_to(response) == reverse("portal:home")  # signed in
    user.refresh_from_db()
    assert user.password.startswith("argon2$argon2id$")
    assert user.check_password(OLD_PASSWORD)
    assert AuditEvent.objects.filter(action=AuditEvent.Action.LEGACY_HASH_UPGRADED, user=user).exists()


def test_wrong_password_does_not_upgrade(client, imported, sverdlovsk):
    imported(row(algorithm="sha1", digest=sha1(OLD_PASSWORD)))
    before = User.objects.get(legacy_login="ivanov").password

    response = post_login(client, "+79121234567", "не тот пароль", region=sverdlovsk)

    assert INVALID_LOGIN in response.content.decode()
    assert User.objects.get(legacy_login="ivanov").password == before


def test_imported_fields_and_link(imported, account):
    imported(row(phone="8 (912) 123-45-67", email="IVANOV@Mail.ru"))
    user = User.objects.get(legacy_login="ivanov")
    assert (user.phone, user.email, user.last_name, user.first_name) == (
        "+79121234567",
        "ivanov@mail.ru",
        "Иванов",
        "Иван",
    )
    assert user.is_active
    assert AccountLink.objects.get(account=account).user == user


def test_blocked_user_gets_not_served_after_the_right_password(client, imported, sverdlovsk):
    imported(row(blocked="1"))
    page = post_login(client, "+79121234567", OLD_PASSWORD, region=sverdlovsk).content.decode()
    assert "Учетная запись заблокирована" in page


def test_several_accounts_and_a_user_without_phone(imported, sverdlovsk):
    make_account(sverdlovsk, "660100000002", flat="6")
    imported(row(phone="", accounts="660100000001;660100000002"))
    user = User.objects.get(legacy_login="ivanov")
    assert user.phone is None
    assert sorted(user.account_links.values_list("account__number", flat=True)) == ["660100000001", "660100000002"]


def test_rerun_updates_instead_of_duplicating(imported):
    imported(row(first_name="Иван"))
    imported(row(first_name="Иоанн"))
    assert User.objects.filter(legacy_login="ivanov").get().first_name == "Иоанн"


def test_rerun_leaves_users_who_already_signed_in_alone(client, imported, sverdlovsk, capsys):
    imported(row())
    post_login(client, "+79121234567", OLD_PASSWORD, region=sverdlovsk)
    upgraded = User.objects.get(legacy_login="ivanov").password

    imported(row(digest=md5("другой")))

    assert User.objects.get(legacy_login="ivanov").password == upgraded
    assert "без изменений 1" in capsys.readouterr().out


def test_bad_rows_are_reported_with_line_numbers_and_the_rest_imported(tmp_path, account, sverdlovsk, capsys):
    make_customer("+79120000009", email="taken@mail.ru")
    rows = [
        row(login="good", accounts=""),
        row(login="badphone", phone="12345", accounts=""),
        row(login="badmail", phone="", email="not-an-email", accounts=""),
        row(login="badalgo", phone="+79121234568", email="", algorithm="sha256", accounts=""),
        row(login="baddigest", phone="+79121234569", email="", digest="xyz", accounts=""),
        row(login="noaccount", phone="+79121234570", email="", accounts="660199999999"),
        row(login="noregion", phone="+79121234571", email="", region="99"),
        row(login="takenmail", phone="+79121234572", email="TAKEN@mail.ru", accounts=""),
        row(login="nothing", phone="", email="", accounts=""),
        row(login="badflag", phone="+79121234573", email="", accounts="", blocked="может быть"),
    ]
    with pytest.raises(CommandError) as error:
        call_command("import_legacy_users", csv_file(tmp_path, *rows))
    assert error.value.returncode == 2
    err = capsys.readouterr().err
    for line, text in [
        (3, "неверный телефон «12345»"),
        (4, "неверный e-mail «not-an-email»"),
        (5, "неизвестный hash_algorithm «sha256»"),
        (6, "password_hash не похож на md5"),
        (7, "лицевой счёт 660199999999 не найден в регионе «Свердловский»"),
        (8, "неизвестный регион «99»"),
        (9, "e-mail taken@mail.ru уже у другого пользователя"),
        (10, "нет ни телефона, ни e-mail, ни лицевого счёта"),
        (11, "blocked: «может быть»"),
    ]:
        assert f"строка {line}: {text}" in err
    assert list(User.objects.exclude(legacy_login="").values_list("legacy_login", flat=True)) == ["good"]


def test_account_held_by_another_user_is_an_error(tmp_path, account, capsys):
    make_customer("+79120000009", account)
    with pytest.raises(CommandError):
        call_command("import_legacy_users", csv_file(tmp_path, row()))
    assert "лицевой счёт 660100000001 уже привязан к другому пользователю" in capsys.readouterr().err


def test_dry_run_changes_nothing(imported, capsys):
    imported(row(), dry_run=True)
    assert not User.objects.filter(legacy_login="ivanov").exists()
    assert "проверка (ничего не изменено): создано 1" in capsys.readouterr().out


def test_missing_columns_and_unreadable_files(tmp_path, db):
    path = tmp_path / "legacy.csv"
    path.write_text("legacy_login,phone\nivanov,+79121234567\n", encoding="utf-8")
    with pytest.raises(CommandError, match="в заголовке нет столбцов: email"):
        call_command("import_legacy_users", path)
    path.write_bytes("legacy_login\nИванов\n".encode("cp1251"))
    with pytest.raises(CommandError, match="UTF-8"):
        call_command("import_legacy_users", path)
    with pytest.raises(CommandError, match="не удалось прочитать"):
        call_command("import_legacy_users", tmp_path / "absent.csv")


def test_registry_unavailable_stops_the_import(imported, settings):
    settings.KABINET_REGISTRY_AVAILABLE = False
    with pytest.raises(CommandError, match="реестр лицевых счетов недоступен"):
        imported(row())
    assert not User.objects.filter(legacy_login="ivanov").exists()


def test_excel_bom_is_accepted(tmp_path, account):
    path = tmp_path / "legacy.csv"
    path.write_text("\ufeff" + HEADER + "\n" + row() + "\n", encoding="utf-8")
    call_command("import_legacy_users", path)
    assert User.objects.filter(legacy_login="ivanov").exists()


def test_service_reports_counts(account):
    report = import_legacy_users(io.StringIO(HEADER + "\n" + row() + "\n"))
    assert (report.created, report.updated, report.errors) == (1, 0, [])
    assert PersonalAccount.objects.get(number="660100000001").link.user.legacy_login == "ivanov"


def test_names_breaking_the_rule_are_reported_with_their_line(account):
    """Issue 11, point 11: the import follows the portal's one rule for names."""
    rows = [row(), row(login="petrov", phone="+79121234568", email="", accounts="", last_name="Петров1")]
    report = import_legacy_users(io.StringIO("\n".join([HEADER, *rows]) + "\n"))
    assert report.created == 1
    assert report.errors == ["строка 3: last_name «Петров1»: Недопустимый символ: «1». " + RULE]
    assert not User.objects.filter(legacy_login="petrov").exists()
