"""Attachments: checked by content (never by name), limited in size and number, stored under
random names, offered under a safe name; form ids of uploads are never trusted."""

import hashlib
import re

from django.core.files.uploadedfile import SimpleUploadedFile
import pytest

from kabinet.appeals.files import FileRejected, own_uploads, receive_files, safe_name, store_upload
from kabinet.appeals.form_fields import files_help
from kabinet.appeals.models import Upload
from kabinet.appeals.storage import attachment_storage
from tests.factories import PDF, PNG, make_account, make_customer, stored_files, upload_file

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64 + b"\xff\xd9"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00"
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,"
ZIP = b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 40


def uploaded(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


# --- Checked by content ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "content_type", "stored_name"),
    [
        ("справка.pdf", PDF, "application/pdf", "справка.pdf"),
        ("фото.jpg", JPEG, "image/jpeg", "фото.jpg"),
        ("фото.JPEG", JPEG, "image/jpeg", "фото.JPEG"),
        ("скан.png", PNG, "image/png", "скан.png"),
        ("без расширения", PDF, "application/pdf", "без расширения.pdf"),
        ("photo.pdf", PNG, "image/png", "photo.pdf.png"),  # the content decides
    ],
)
def test_accepts_pdf_jpeg_png_by_content(customer, name, content, content_type, stored_name):
    upload = store_upload(customer, uploaded(name, content))
    upload.refresh_from_db()
    assert (upload.owner, upload.content_type, upload.name) == (customer, content_type, stored_name)
    assert upload.size == len(content)
    assert upload.sha256 == hashlib.sha256(content).hexdigest()
    with attachment_storage().open(upload.file.name) as stored:
        assert stored.read() == content


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("договор.pdf", "Это просто текст, а не PDF.".encode()),
        ("счёт.pdf", EXE),
        ("картинка.png", GIF),
        ("архив.pdf", ZIP),
        ("страница.pdf", b"<html><script>alert(1)</script></html>"),
    ],
)
def test_rejects_by_content_naming_the_file(customer, name, content):
    with pytest.raises(FileRejected) as rejected:
        store_upload(customer, uploaded(name, content))
    assert f"«{name}»" in str(rejected.value)
    assert "можно прикладывать только PDF, JPEG или PNG" in str(rejected.value)
    assert not Upload.objects.exists()


def test_rejects_an_empty_file(customer):
    with pytest.raises(FileRejected, match=re.escape("Файл «пусто.pdf» пустой")):
        store_upload(customer, uploaded("пусто.pdf", b""))
    assert not Upload.objects.exists()


def test_rejects_a_file_over_the_size_limit(customer, settings):
    settings.KABINET_APPEAL_MAX_FILE_MB = 1
    big = PDF + b"0" * (1024 * 1024 + 1 - len(PDF))
    assert len(big) == 1024 * 1024 + 1
    with pytest.raises(FileRejected, match=re.escape("Файл «большой.pdf» больше 1 МБ")):
        store_upload(customer, uploaded("большой.pdf", big))
    assert not Upload.objects.exists()
    # Exactly the limit is fine.
    assert store_upload(customer, uploaded("ровно.pdf", big[:-1])).size == 1024 * 1024


def test_rejected_files_leave_nothing_in_storage(customer, settings):
    for name, content in (("a.pdf", b"text"), ("b.pdf", EXE), ("c.pdf", b"")):
        with pytest.raises(FileRejected):
            store_upload(customer, uploaded(name, content))
    assert stored_files() == []


# --- Stored under a random name, shown under a safe one -------------------------------------


def test_stored_path_never_contains_the_users_file_name(customer):
    names = ["справка.pdf", "../../etc/passwd.pdf", "report; rm -rf.pdf"]
    paths = [upload_file(customer, name).file.name for name in names]
    for path in paths:
        assert re.fullmatch(r"\d{4}/\d{2}/[0-9a-f]{32}", path), path
        assert "справка" not in path and "passwd" not in path and "report" not in path
        assert ".." not in path and not path.endswith(".pdf")
    assert len(set(paths)) == 3


@pytest.mark.parametrize(
    ("original", "content_type", "expected"),
    [
        ("../../etc/passwd.pdf", "application/pdf", "passwd.pdf"),
        ("C:\\Users\\x\\скан.PDF", "application/pdf", "скан.PDF"),
        ("/home/anna/Документы/квитанция.jpg", "image/jpeg", "квитанция.jpg"),
        ("a\x00b\nc\rd\x1fe\x7f.pdf", "application/pdf", "a_b_c_d_e_.pdf"),
        ('x<y>z:"w|q?*.pdf', "application/pdf", "x_y_z_w_q_.pdf"),
        ("Справка о доходах №5 (копия).pdf", "application/pdf", "Справка о доходах №5 (копия).pdf"),
        ("photo.pdf", "image/png", "photo.pdf.png"),
        ("photo.exe", "application/pdf", "photo.exe.pdf"),
        ("скан", "image/jpeg", "скан.jpg"),
        ("", "application/pdf", "файл.pdf"),
        ("...", "application/pdf", "файл.pdf"),
        ("  .pdf  ", "image/png", "pdf.png"),
        ("и\u0306тог.pdf", "application/pdf", "йтог.pdf"),  # decomposed «й» becomes one letter (NFC)
    ],
)
def test_safe_name(original, content_type, expected):
    assert safe_name(original, content_type) == expected


@pytest.mark.parametrize("trick", ["\u202e", "\u202d", "\u2066", "\u200f", "\x85", "\x9b"])
def test_safe_name_drops_bidi_overrides_and_c1_controls(trick):
    # «отчёт‮fdp.png» would show as «отчётgnp.pdf»: the displayed extension would lie.
    name = safe_name(f"отчёт{trick}fdp.png", "image/png")
    assert trick not in name
    assert name.endswith(".png")


def test_safe_name_limits_length_to_150_keeping_the_extension():
    name = safe_name("Я" * 300 + ".pdf", "application/pdf")
    assert len(name) == 150
    assert name == "Я" * 146 + ".pdf"
    assert len(safe_name("x" * 149 + ".jpeg", "image/jpeg")) == 150
    assert safe_name("x" * 149 + ".jpeg", "image/jpeg").endswith(".jpeg")
    assert len(safe_name("y" * 500, "image/png")) == 150


def test_long_cyrillic_name_is_stored(customer):
    upload = upload_file(customer, "Заявление" * 40 + ".pdf")
    upload.refresh_from_db()
    assert len(upload.name) == 150 and upload.name.endswith(".pdf")


# --- One form's files -----------------------------------------------------------------------


def test_receive_files_keeps_good_files_when_another_is_rejected(customer):
    received = receive_files(
        customer,
        [],
        [uploaded("первый.pdf", PDF), uploaded("вирус.pdf", EXE), uploaded("второй.png", PNG)],
    )
    assert [u.name for u in received.uploads] == ["первый.pdf", "второй.png"]
    assert len(received.errors) == 1 and "«вирус.pdf»" in received.errors[0]
    assert Upload.objects.filter(owner=customer).count() == 2

    # The next try sends only the fixed file; the kept ones come back by id.
    again = receive_files(customer, [str(u.pk) for u in received.uploads], [uploaded("третий.pdf", PDF)])
    assert [u.name for u in again.uploads] == ["первый.pdf", "второй.png", "третий.pdf"]
    assert again.errors == []


def test_more_files_than_the_limit_store_nothing(customer):
    received = receive_files(customer, [], [uploaded(f"{i}.pdf", PDF) for i in range(7)])
    assert received.uploads == [] and stored_files() == []
    assert received.errors == [
        "Можно приложить не больше 5 файлов, а выбрано 7. Новые файлы не сохранены: выберите не больше 5."
    ]


def test_the_limit_counts_files_already_attached_and_keeps_them(customer):
    kept = [str(upload_file(customer, f"{i}.pdf").pk) for i in range(4)]
    assert receive_files(customer, kept[:3], [uploaded("5.pdf", PDF), uploaded("6.pdf", PDF)]).errors == []
    before = len(stored_files())
    received = receive_files(customer, kept, [uploaded("7.pdf", PDF), uploaded("8.pdf", PDF)])
    assert [u.name for u in received.uploads] == ["0.pdf", "1.pdf", "2.pdf", "3.pdf"]  # «Уже приложены» stay
    assert len(stored_files()) == before
    assert received.errors == [
        "Можно приложить не больше 5 файлов, а с уже приложенными их 6. Новые файлы не сохранены: выберите не больше 1."
    ]


def test_too_many_files_already_attached_are_unticked_first(customer):
    kept = [str(upload_file(customer, f"{i}.pdf").pk) for i in range(6)]
    received = receive_files(customer, kept, [])
    assert len(received.uploads) == 6 and len(stored_files()) == 6
    assert received.errors == ["Можно приложить не больше 5 файлов, а отмечено 6. Снимите отметку с лишних."]


def test_exactly_the_limit_is_fine(customer):
    received = receive_files(customer, [], [uploaded(f"{i}.pdf", PDF) for i in range(5)])
    assert received.errors == [] and len(received.uploads) == 5


def test_too_many_bytes_in_all_store_nothing(customer, settings):
    settings.KABINET_APPEAL_MAX_FILE_MB = 1  # five files of 1 MB: 5 MB in all
    small = uploaded("маленький.pdf", PDF)
    huge = uploaded("огромный.pdf", PDF + b"0" * (5 * 1024 * 1024))
    received = receive_files(customer, [], [small, huge])
    assert received.uploads == [] and stored_files() == []
    assert received.errors == [
        "Файлы вместе больше 5 МБ. Новые файлы не сохранены: уменьшите их "
        "(например, отсканируйте с меньшим разрешением) или приложите меньше."
    ]


def test_receive_files_limit_follows_the_setting(customer, settings):
    settings.KABINET_APPEAL_MAX_FILES = 2
    received = receive_files(customer, [], [uploaded(f"{i}.pdf", PDF) for i in range(3)])
    assert received.errors == [
        "Можно приложить не больше 2 файлов, а выбрано 3. Новые файлы не сохранены: выберите не больше 2."
    ]
    assert not Upload.objects.exists()


def test_the_limit_of_one_file_is_said_in_the_singular(customer, settings):
    settings.KABINET_APPEAL_MAX_FILES = 1
    received = receive_files(customer, [], [uploaded(f"{i}.pdf", PDF) for i in range(2)])
    assert received.errors == [
        "Можно приложить не больше 1 файла, а выбрано 2. Новые файлы не сохранены: выберите не больше 1."
    ]
    assert files_help() == "PDF, JPEG или PNG, до 1 файла, каждый не больше 10 МБ."
    settings.KABINET_APPEAL_MAX_FILES = 21
    assert files_help() == "PDF, JPEG или PNG, до 21 файла, каждый не больше 10 МБ."


# --- Uploads kept between tries ---------------------------------------------------------------

PENDING_FULL = (
    "Новые файлы не сохранены: у вас уже загружены файлы для неотправленных форм, а всего их "
    "можно хранить не больше 10 файлов (100 МБ). Снимите отметку «Уже приложены» с ненужных или "
    "отправьте форму без новых файлов; файлы брошенных форм освобождают место через 30 минут."
)


def test_refused_forms_resent_cannot_fill_the_storage(customer):
    """Each refused submit keeps its good files for the next try; abandoned, they would pile
    up until the daily purge. An owner's unsent uploads are capped at twice a form's limits."""
    for attempt in range(2):
        received = receive_files(customer, [], [uploaded(f"{attempt}-{i}.pdf", PDF) for i in range(5)])
        assert received.errors == [] and len(received.uploads) == 5
    assert len(stored_files()) == 10
    received = receive_files(customer, [], [uploaded("ещё.pdf", PDF)])
    assert received.errors == [PENDING_FULL] and received.uploads == []
    assert len(stored_files()) == 10 and Upload.objects.filter(owner=customer).count() == 10


def test_the_pending_cap_counts_bytes_too(customer, settings):
    """Every stored file is within the per-file limit, so the count bounds the bytes too, until
    the limit is lowered: then the bytes already kept count against the new one."""
    settings.KABINET_APPEAL_MAX_FILE_MB = 5
    receive_files(customer, [], [uploaded(f"{i}.pdf", PDF + b"0" * (4 * 1024 * 1024)) for i in range(3)])
    settings.KABINET_APPEAL_MAX_FILE_MB = 1  # unsent in all now at most 10 MB, and 12 MB are kept
    received = receive_files(customer, [], [uploaded("маленький.pdf", PDF)])
    assert received.errors and "(10 МБ)" in received.errors[0] and received.uploads == []
    assert len(stored_files()) == 3


def test_files_of_forms_left_unsent_make_room_so_nobody_is_locked_out(customer):
    """Two forms abandoned half an hour ago fill the cap: their files (oldest first) give way to
    a new form's, while the files this form keeps stay."""
    from datetime import timedelta

    from django.utils import timezone

    old = [receive_files(customer, [], [uploaded(f"{a}{i}.pdf", PDF) for i in range(5)]).uploads for a in "ab"]
    Upload.objects.filter(owner=customer).update(created_at=timezone.now() - timedelta(minutes=31))
    kept = [str(old[1][4].pk)]  # this form kept one of them
    received = receive_files(customer, kept, [uploaded(f"новый{i}.pdf", PDF) for i in range(4)])
    assert received.errors == []
    assert [u.name for u in received.uploads] == ["b4.pdf", "новый0.pdf", "новый1.pdf", "новый2.pdf", "новый3.pdf"]
    names = sorted(u.name for u in Upload.objects.filter(owner=customer))
    assert len(names) == 10 and "b4.pdf" in names and "a0.pdf" not in names  # the oldest went first
    assert len(stored_files()) == 10


def test_the_pending_cap_is_per_owner(customer, sverdlovsk):
    other = make_customer("+79120000002", make_account(sverdlovsk, "660100000002"))
    for i in range(10):
        upload_file(other, f"{i}.pdf")
    assert receive_files(customer, [], [uploaded("мой.pdf", PDF)]).errors == []


def test_uploads_unticked_are_deleted_at_once(customer):
    first = receive_files(customer, [], [uploaded(f"{i}.pdf", PDF) for i in range(3)]).uploads
    offered = [str(u.pk) for u in first]
    received = receive_files(customer, offered[:1], [uploaded("новый.pdf", PDF)], offered)
    assert [u.name for u in received.uploads] == ["0.pdf", "новый.pdf"]
    assert sorted(u.name for u in Upload.objects.filter(owner=customer)) == ["0.pdf", "новый.pdf"]
    assert len(stored_files()) == 2


def test_unticking_makes_room_under_the_pending_cap(customer):
    first = receive_files(customer, [], [uploaded(f"a{i}.pdf", PDF) for i in range(5)]).uploads
    receive_files(customer, [], [uploaded(f"b{i}.pdf", PDF) for i in range(5)])
    offered = [str(u.pk) for u in first]
    received = receive_files(customer, [], [uploaded("новый.pdf", PDF)], offered)
    assert received.errors == [] and [u.name for u in received.uploads] == ["новый.pdf"]
    assert len(stored_files()) == 6


def test_offered_ids_of_another_owner_are_not_deleted(customer, sverdlovsk):
    other = make_customer("+79120000002", make_account(sverdlovsk, "660100000002"))
    theirs = upload_file(other, "чужой.pdf")
    receive_files(customer, [], [], [str(theirs.pk)])
    assert Upload.objects.filter(pk=theirs.pk).exists()


def test_own_uploads_ignores_other_users_and_non_numeric_ids(customer, sverdlovsk):
    other = make_customer("+79120000002", make_account(sverdlovsk, "660100000002"))
    mine = [upload_file(customer, "мой1.pdf"), upload_file(customer, "мой2.pdf")]
    theirs = upload_file(other, "чужой.pdf")
    ids = [
        str(mine[1].pk),
        str(theirs.pk),
        "abc",
        "",
        "-1",
        f"{mine[0].pk}.0",
        f" {mine[0].pk}",
        "²",  # str.isdigit() says yes, int() says no
        "٣",  # an Arabic-Indic digit
        "99999999999999999999",  # beyond any primary key
        "1 OR 1=1",
        mine[0].pk,
    ]
    assert own_uploads(customer, ids) == mine
    assert own_uploads(other, [str(m.pk) for m in mine]) == []
    assert own_uploads(customer, []) == []
