"""Password hashers: argon2id first and no weaker than OWASP's minimum; legacy hashes only
verified, always flagged for upgrade."""

import hashlib

import bcrypt
from django.conf import settings
from django.contrib.auth.hashers import check_password, identify_hasher, make_password
from django.test import override_settings
import pytest


def test_argon2id_is_the_first_hasher_and_uses_the_settings():
    assert identify_hasher(make_password("x")).algorithm == "argon2"
    with override_settings(ARGON2_MEMORY_KIB=19456, ARGON2_TIME_COST=2, ARGON2_PARALLELISM=1):
        encoded = make_password("x")
    assert encoded.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")


def test_production_defaults_are_no_weaker_than_owasp():
    """OWASP Password Storage Cheat Sheet: argon2id with m ≥ 19 MiB, t ≥ 2, p ≥ 1 (the tests
    run cheaper, set in tests/conftest.py; this reads the values settings.py would use)."""
    import importlib

    import kabinet.settings as production

    fresh = importlib.reload(production)
    assert fresh.ARGON2_MEMORY_KIB >= 19 * 1024
    assert fresh.ARGON2_TIME_COST >= 2
    assert fresh.ARGON2_PARALLELISM >= 1


def test_changed_cost_asks_for_rehash():
    encoded = make_password("x")
    hasher = identify_hasher(encoded)
    assert not hasher.must_update(encoded)
    with override_settings(ARGON2_MEMORY_KIB=settings.ARGON2_MEMORY_KIB * 2):
        assert hasher.must_update(encoded)


@pytest.mark.parametrize(
    "encoded",
    [
        "legacy_md5$" + hashlib.md5("пароль".encode()).hexdigest(),
        "legacy_sha1$" + hashlib.sha1("пароль".encode()).hexdigest(),
        "legacy_bcrypt$" + bcrypt.hashpw("пароль".encode(), bcrypt.gensalt(4)).decode().replace("$2b$", "$2y$"),
        "legacy_bcrypt$" + bcrypt.hashpw("пароль".encode(), bcrypt.gensalt(4, prefix=b"2a")).decode(),
    ],
)
def test_legacy_hashes_verify_and_ask_for_upgrade(encoded):
    assert check_password("пароль", encoded)
    assert not check_password("Пароль", encoded)
    assert not check_password("", encoded)
    assert identify_hasher(encoded).must_update(encoded)


def test_legacy_hashers_never_make_new_hashes():
    with pytest.raises(NotImplementedError):
        identify_hasher("legacy_bcrypt$$2y$04$" + "a" * 53).encode("x", "")
    # MD5/SHA-1 are not offered for new passwords: only argon2 is.
    assert identify_hasher(make_password("x")).algorithm == "argon2"


def test_bcrypt_reads_72_bytes_like_php():
    encoded = "legacy_bcrypt$" + bcrypt.hashpw(b"a" * 72, bcrypt.gensalt(4)).decode()
    assert check_password("a" * 100, encoded)  # PHP would have accepted it too
    assert not check_password("a" * 71, encoded)


def test_a_malformed_bcrypt_hash_is_a_wrong_password_not_a_crash():
    assert not check_password("x", "legacy_bcrypt$$2y$10$tooshort")


def test_safe_summary_masks_the_hash():
    encoded = "legacy_md5$" + hashlib.md5(b"x").hexdigest()
    summary = identify_hasher(encoded).safe_summary(encoded)
    assert hashlib.md5(b"x").hexdigest() not in str(summary)
