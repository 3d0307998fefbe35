"""Encryption at rest for the most sensitive personal data (identity documents, birth data).

Fernet (AES-128-CBC + HMAC-SHA256, from `cryptography`) under MultiFernet: the first key of
KABINET_PD_KEYS encrypts, every key decrypts, so a key is rotated by putting a new one first,
re-encrypting (`manage.py rotate_pd_keys`), then dropping the old one. The keys come only from
the environment (settings.py); a database dump alone reveals nothing."""

from functools import lru_cache
import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.views.decorators.debug import sensitive_variables


def key_problem(key: str) -> str:
    """Why a key cannot be used, or ""."""
    try:
        Fernet(key)
    except (ValueError, TypeError):
        return "не ключ Fernet (32 байта в URL-safe base64; создайте командой manage.py generate_pd_key)"
    return ""


@lru_cache(maxsize=4)
def _cipher(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("KABINET_PD_KEYS is not set: personal data cannot be encrypted")
    return MultiFernet([Fernet(key) for key in keys])


def cipher() -> MultiFernet:
    return _cipher(tuple(settings.KABINET_PD_KEYS))


@sensitive_variables("data")
def encrypt(data: dict) -> str:
    return cipher().encrypt(json.dumps(data, ensure_ascii=False).encode()).decode()


def decrypt(token: str) -> dict:
    """The data back; {} for a wiped (empty) value. A token no key opens is an error, not {}:
    a lost key must be noticed, never shown as «no data»."""
    if not token:
        return {}
    try:
        return json.loads(cipher().decrypt(token.encode()))
    except InvalidToken as error:
        raise ImproperlyConfigured("No key in KABINET_PD_KEYS opens this personal data") from error


def rotate(token: str) -> str:
    """The token under the first key (unchanged data)."""
    return cipher().rotate(token.encode()).decode() if token else token
