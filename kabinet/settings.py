"""Kabinet settings: the only module that reads the environment.

With no variables set everything runs embedded (SQLite in WAL mode, local-memory cache,
file SMS outbox, file e-mail, eager background tasks). Each production component is
switched on by one variable; docs/production.md lists them.
"""

import base64
from datetime import timedelta
from decimal import Decimal
import hashlib
import ipaddress
import os
from pathlib import Path

from celery.schedules import crontab
import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.core.management.utils import get_random_secret_key

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _is_loopback(host: str) -> bool:
    """This machine: a loopback name or address, or (for a database) a Unix socket path."""
    host = host.strip().strip("[]")
    if not host or host.startswith("/") or host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False  # any other name is another machine, maybe on the internet
    return address.is_loopback


def refuse_public_debug(debug: bool, database_host: str, allowed_hosts: list[str]) -> None:
    """DEBUG shows every SMS code and reset link at /dev/outbox/ and tracebacks with settings:
    a demo only. With a real database or a public name it would hand out every account."""
    if not debug:
        return
    if not _is_loopback(database_host):
        raise ImproperlyConfigured(
            f"DJANGO_DEBUG is on with a production database (DATABASE_URL host {database_host!r}). "
            "Debug mode is for the local demo only: set DJANGO_DEBUG=0."
        )
    public = [host for host in allowed_hosts if not _is_loopback(host.lstrip("."))]
    if public:
        raise ImproperlyConfigured(
            f"DJANGO_DEBUG is on with public host names in DJANGO_ALLOWED_HOSTS ({', '.join(public)}). "
            "Debug mode is for the local demo only: set DJANGO_DEBUG=0."
        )


PLACEHOLDER = "REPLACE-ME"
# The variables this module reads (prefixes and names), for the placeholder check.
PRODUCTION_VARIABLES = ("DJANGO_", "KABINET_", "DATABASE_URL", "REDIS_URL", "CELERY_", "EMAIL_", "DEFAULT_FROM_EMAIL")


def refuse_placeholders(debug: bool, environ: dict[str, str]) -> None:
    """deploy/kabinet.env.example's REPLACE-ME values pass Django's deploy checks (a long
    secret key, a database password): a copy not filled in must not start."""
    if debug:
        return
    left = sorted(
        name for name, value in environ.items() if name.startswith(PRODUCTION_VARIABLES) and PLACEHOLDER in value
    )
    if left:
        raise ImproperlyConfigured(f"Replace {PLACEHOLDER} in {', '.join(left)} (deploy/kabinet.env.example).")


DATA_DIR = Path(os.environ.get("KABINET_DATA_DIR", BASE_DIR / "data"))
DATA_DIR.mkdir(parents=True, exist_ok=True)

# Off unless asked for: `make run` turns the demo on for its own commands, everything else
# (gunicorn, Celery, manage.py, tests) starts safe.
DEBUG = env_bool("DJANGO_DEBUG", False)
refuse_placeholders(DEBUG, dict(os.environ))


def _secret_key() -> str:
    """Production sets DJANGO_SECRET_KEY; embedded runs keep a generated key in the data dir."""
    if key := os.environ.get("DJANGO_SECRET_KEY"):
        return key
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(get_random_secret_key())
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "kabinet.core.admin_apps.KabinetAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.forms",
    "csp",
    "ninja",  # its Swagger UI files, served from our own static files (no CDN)
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
    "kabinet.core",
    "kabinet.billing",
    "kabinet.identity",
    "kabinet.notifications",
    "kabinet.appeals",
    "kabinet.readings",
    "kabinet.exchange",
    "kabinet.payments",
    "kabinet.portal",
    "kabinet.backoffice",
    "kabinet.api",
]

MIDDLEWARE = [
    "kabinet.core.request_id.RequestIdMiddleware",
    "kabinet.core.probes.ProbeMiddleware",
    "kabinet.core.metrics.MetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "kabinet.api.middleware.ApiMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "kabinet.core.middleware.NoStoreForSessionsMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "kabinet.identity.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "kabinet.core.csp.CSPMiddleware",
]

ROOT_URLCONF = "kabinet.urls"
FORM_RENDERER = "kabinet.core.forms.KabinetFormRenderer"
WSGI_APPLICATION = "kabinet.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kabinet.core.context_processors.site",
                "kabinet.notifications.context_processors.dev_outbox",
                "kabinet.portal.context_processors.customer",
            ],
            # {% url %} and {% static %} with their URLs kept per process, and |date writing the
            # all-digit formats itself (docs/performance.md, «4. Rendering»).
            "builtins": [
                "kabinet.core.templatetags.cached_url",
                "kabinet.core.templatetags.cached_static",
                "kabinet.core.templatetags.kept_blocks",
                "kabinet.core.templatetags.numeric_dates",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
SQLITE_PATH = DATA_DIR / "kabinet.sqlite3"
DATABASES = {"default": dj_database_url.config(env="DATABASE_URL", default=f"sqlite:///{SQLITE_PATH}", conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers proceed while one writer commits; IMMEDIATE takes the write lock
        # at BEGIN so concurrent writers queue instead of failing on lock upgrade.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # Tests use a file too, not shared-cache memory: there concurrent writers fail with "table
    # is locked" instead of queueing, so concurrency tests would test SQLite's test mode. One
    # file per test process, so two runs side by side do not share a database.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / f"test-{os.getpid()}.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
refuse_public_debug(DEBUG, DATABASES["default"].get("HOST") or "", ALLOWED_HOSTS)

# --- Cache, sessions --------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "kabinet.core.redis_cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("KABINET_CACHE_PREFIX", "kabinet"),
            # A Redis that stops answering fails requests (and /readyz) in seconds rather than
            # holding workers until gunicorn kills them.
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 5},
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    SESSION_ENGINE = "django.contrib.sessions.backends.db"

SESSION_COOKIE_AGE = int(os.environ.get("KABINET_SESSION_AGE", 60 * 60 * 24 * 14))

# --- Auth -----------------------------------------------------------------------------
AUTH_USER_MODEL = "identity.User"
AUTHENTICATION_BACKENDS = ["kabinet.identity.backends.KabinetBackend"]
LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "portal:login"

PASSWORD_HASHERS = [
    "kabinet.identity.hashers.KabinetArgon2Hasher",
    # Old-portal hashes: accepted once, then upgraded to argon2 on successful login.
    "kabinet.identity.hashers.LegacyBcryptHasher",
    "kabinet.identity.hashers.LegacyMD5Hasher",
    "kabinet.identity.hashers.LegacySHA1Hasher",
]
# Argon2id parameters: chosen by bench/login.py, see docs/passwords.md. Never below
# OWASP's minimum (m=19 MiB, t=2, p=1).
ARGON2_MEMORY_KIB = int(os.environ.get("KABINET_ARGON2_MEMORY_KIB", 19 * 1024))
ARGON2_TIME_COST = int(os.environ.get("KABINET_ARGON2_TIME_COST", 2))
ARGON2_PARALLELISM = int(os.environ.get("KABINET_ARGON2_PARALLELISM", 1))

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = 60 * 60  # the e-mail recovery link lives one hour

# --- Verification codes and rate limits --------------------------------------------------
KABINET_CODE_TTL = timedelta(seconds=int(os.environ.get("KABINET_CODE_TTL", 600)))
KABINET_CODE_MAX_ATTEMPTS = int(os.environ.get("KABINET_CODE_MAX_ATTEMPTS", 5))
KABINET_CODE_RESEND_AFTER = timedelta(seconds=int(os.environ.get("KABINET_CODE_RESEND_AFTER", 60)))
KABINET_CODES_PER_PHONE_PER_HOUR = int(os.environ.get("KABINET_CODES_PER_PHONE_PER_HOUR", 5))
KABINET_CODES_PER_IP_PER_HOUR = int(os.environ.get("KABINET_CODES_PER_IP_PER_HOUR", 20))
# Failures before a lock, the window they are counted in, and how long the lock lasts.
KABINET_FAILURES_PER_IDENTIFIER = int(os.environ.get("KABINET_FAILURES_PER_IDENTIFIER", 10))
# Mobile carriers put many customers behind one address, so the per-IP bound is looser.
KABINET_FAILURES_PER_IP = int(os.environ.get("KABINET_FAILURES_PER_IP", 50))
KABINET_FAILURE_WINDOW = timedelta(seconds=int(os.environ.get("KABINET_FAILURE_WINDOW", 900)))
KABINET_LOCKOUT = timedelta(seconds=int(os.environ.get("KABINET_LOCKOUT", 900)))
# The second factor (docs/second-factor.md). Codes are counted by core.ratelimit like passwords,
# so django-otp's own per-device throttling (an ever longer wait after each failure) is off.
OTP_TOTP_ISSUER = "Личный кабинет"
OTP_TOTP_THROTTLE_FACTOR = 0
OTP_STATIC_THROTTLE_FACTOR = 0
# An administrator may delete an employee's lost device in /admin/, never read its key.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# Passkeys (WebAuthn) as a second factor, through django-otp-webauthn's helper and models; the
# views are Kabinet's (identity.passkeys). The RP ID is the site's domain without scheme or port:
# a browser accepts it only on that domain or below, `localhost` included, never an IP address,
# so in development the site is opened as http://localhost:8000 (a secure context). Changing it
# later orphans every registered passkey.
OTP_WEBAUTHN_RP_ID = os.environ.get("KABINET_WEBAUTHN_RP_ID", "localhost")
OTP_WEBAUTHN_RP_NAME = "Личный кабинет"
OTP_WEBAUTHN_ALLOWED_ORIGINS = env_list("KABINET_WEBAUTHN_ORIGINS", "http://localhost:8000")
# After the password only: a passkey never replaces it (issue 16 asks for a second factor).
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
OTP_WEBAUTHN_HELPER_CLASS = "kabinet.identity.webauthn_helper.KabinetWebAuthnHelper"
# An e-mail confirmation link: single use, for its user only (see docs/identifiers.md).
KABINET_EMAIL_CONFIRM_MAX_AGE = timedelta(seconds=int(os.environ.get("KABINET_EMAIL_CONFIRM_MAX_AGE", 24 * 3600)))
# Forms that mail an address or say whether a phone or e-mail is taken: uses per
# KABINET_FAILURE_WINDOW, then locked for KABINET_LOCKOUT (identity.accounts.count_contact_use).
KABINET_CONTACT_USES_PER_ADDRESS = int(os.environ.get("KABINET_CONTACT_USES_PER_ADDRESS", 5))
KABINET_CONTACT_USES_PER_USER = int(os.environ.get("KABINET_CONTACT_USES_PER_USER", 10))
KABINET_CONTACT_USES_PER_IP = int(os.environ.get("KABINET_CONTACT_USES_PER_IP", 20))

# --- API (docs/api.md) -------------------------------------------------------------------
# A sign-in's access token lives minutes; its refresh token (good once, rotated) lives days.
KABINET_API_ACCESS_TTL = timedelta(seconds=int(os.environ.get("KABINET_API_ACCESS_TTL", 15 * 60)))
KABINET_API_REFRESH_TTL = timedelta(seconds=int(os.environ.get("KABINET_API_REFRESH_TTL", 30 * 24 * 3600)))
# Requests per minute per token (or per client address without one).
KABINET_API_RATE = int(os.environ.get("KABINET_API_RATE", 120))
# Origins whose pages may call the API from a browser (CORS); none unless set.
KABINET_API_CORS_ORIGINS = [origin.rstrip("/") for origin in env_list("KABINET_API_CORS_ORIGINS")]

# --- Billing registry -------------------------------------------------------------------
# False makes every registry lookup fail as "unavailable" (the «Объект не найден» path);
# a single region can also be switched off in the admin.
KABINET_REGISTRY_AVAILABLE = env_bool("KABINET_REGISTRY_AVAILABLE", True)
# Where exports to billing (manage.py export_readings, export_contacts, export_payments) write their files;
# created on first use.
KABINET_EXCHANGE_OUT_DIR = Path(os.environ.get("KABINET_EXCHANGE_OUT_DIR", DATA_DIR / "exchange" / "out"))
# The drop folder billing writes its files into (docs/exchange.md «Папка обмена»): the kind
# is the name's first word (accounts_2026-05.csv); write `*.part`, then rename. Picked files
# move to done/, rejected/ or failed/ beside it.
KABINET_EXCHANGE_IN_DIR = Path(os.environ.get("KABINET_EXCHANGE_IN_DIR", DATA_DIR / "exchange" / "in"))
# A file changed less than this many seconds ago is left for the next pickup (for writers
# that cannot rename); 0 trusts the `.part` convention alone.
KABINET_EXCHANGE_SETTLE_SECONDS = int(os.environ.get("KABINET_EXCHANGE_SETTLE_SECONDS", 60))
# SQLite only (no session locks): an import `running` this long is taken for killed.
KABINET_EXCHANGE_STALE_AFTER = int(os.environ.get("KABINET_EXCHANGE_STALE_AFTER", 6 * 3600))
# S3-compatible storage for the same exchange, used when a bucket is set: in/ is picked up
# like the folder, exports are uploaded to out/. Without a bucket of its own it uses the shared
# files bucket (KABINET_S3_*, below) under exchange/, so every app server and worker sees the
# same exchange files wherever the files are shared.
KABINET_S3_BUCKET = os.environ.get("KABINET_S3_BUCKET", "")
KABINET_S3_ENDPOINT_URL = os.environ.get("KABINET_S3_ENDPOINT_URL", "") or None
KABINET_S3_REGION = os.environ.get("KABINET_S3_REGION", "ru-central1")
KABINET_S3_ACCESS_KEY_ID = os.environ.get("KABINET_S3_ACCESS_KEY_ID", "")
KABINET_S3_SECRET_ACCESS_KEY = os.environ.get("KABINET_S3_SECRET_ACCESS_KEY", "")
_exchange_own_bucket = bool(os.environ.get("KABINET_EXCHANGE_S3_BUCKET"))
_exchange_inherits = not _exchange_own_bucket and bool(KABINET_S3_BUCKET)


def _exchange_s3(name: str, own_default: str, shared: str | None) -> str:
    return os.environ.get(f"KABINET_EXCHANGE_S3_{name}") or (shared or "" if _exchange_inherits else own_default)


KABINET_EXCHANGE_S3_BUCKET = _exchange_s3("BUCKET", "", KABINET_S3_BUCKET)
KABINET_EXCHANGE_S3_ENDPOINT_URL = _exchange_s3("ENDPOINT_URL", "", KABINET_S3_ENDPOINT_URL) or None
KABINET_EXCHANGE_S3_REGION = _exchange_s3("REGION", "us-east-1", KABINET_S3_REGION)
KABINET_EXCHANGE_S3_ACCESS_KEY_ID = _exchange_s3("ACCESS_KEY_ID", "", KABINET_S3_ACCESS_KEY_ID)
KABINET_EXCHANGE_S3_SECRET_ACCESS_KEY = _exchange_s3("SECRET_ACCESS_KEY", "", KABINET_S3_SECRET_ACCESS_KEY)
KABINET_EXCHANGE_S3_IN_PREFIX = _exchange_s3("IN_PREFIX", "in/", "exchange/in/")
KABINET_EXCHANGE_S3_OUT_PREFIX = _exchange_s3("OUT_PREFIX", "out/", "exchange/out/")

# --- Notifications ----------------------------------------------------------------------
KABINET_SMS_BACKEND = os.environ.get("KABINET_SMS_BACKEND", "file")
KABINET_SMS_OUTBOX = Path(os.environ.get("KABINET_SMS_OUTBOX", DATA_DIR / "sms-outbox.jsonl"))
KABINET_SMS_HTTP_URL = os.environ.get("KABINET_SMS_HTTP_URL", "https://smsc.ru/sys/send.php")
KABINET_SMS_HTTP_LOGIN = os.environ.get("KABINET_SMS_HTTP_LOGIN", "")
KABINET_SMS_HTTP_PASSWORD = os.environ.get("KABINET_SMS_HTTP_PASSWORD", "")
KABINET_SMS_HTTP_SENDER = os.environ.get("KABINET_SMS_HTTP_SENDER", "")
KABINET_SMS_HTTP_TIMEOUT = float(os.environ.get("KABINET_SMS_HTTP_TIMEOUT", 10))
# Codes and one-time links are blanked in the message log once sent, except in a demo
# (DEBUG), whose /dev/outbox/ shows them.
KABINET_KEEP_SECRET_MESSAGES = env_bool("KABINET_KEEP_SECRET_MESSAGES", DEBUG)

EMAIL_BACKEND = os.environ.get("KABINET_EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = Path(os.environ.get("KABINET_EMAIL_DIR", DATA_DIR / "mail"))
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", 25))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
# Without a broker the e-mail goes after the response in the web worker: a hung SMTP server
# must give up long before gunicorn's timeout kills the worker (Django's default is to wait forever).
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", 10))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Личный кабинет <noreply@kabinet.local>")
# Links in e-mails are absolute; the scheme and host customers reach the portal at.
KABINET_PUBLIC_URL = os.environ.get("KABINET_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")

# --- Online payments (docs/payments.md) ----------------------------------------------------
# ЮKassa's shop id and secret key; with none set, a demo (DEBUG) uses the built-in demo acquirer.
KABINET_YOOKASSA_SHOP_ID = os.environ.get("KABINET_YOOKASSA_SHOP_ID", "")
KABINET_YOOKASSA_SECRET_KEY = os.environ.get("KABINET_YOOKASSA_SECRET_KEY", "")
KABINET_YOOKASSA_API_URL = os.environ.get("KABINET_YOOKASSA_API_URL", "https://api.yookassa.ru/v3")
# Seconds per request; a request is tried 3 times in all (the customer waits for the answer).
KABINET_YOOKASSA_TIMEOUT = float(os.environ.get("KABINET_YOOKASSA_TIMEOUT", 10))
# The receipt's VAT code (54-ФЗ, ЮKassa's vat_code): 1 is «без НДС».
KABINET_YOOKASSA_VAT_CODE = int(os.environ.get("KABINET_YOOKASSA_VAT_CODE", 1))
KABINET_PAYMENT_MIN = Decimal(os.environ.get("KABINET_PAYMENT_MIN", "1.00"))
KABINET_PAYMENT_MAX = Decimal(os.environ.get("KABINET_PAYMENT_MAX", "100000.00"))

# --- Appeals ------------------------------------------------------------------------------
KABINET_APPEAL_TEXT_MAX = int(os.environ.get("KABINET_APPEAL_TEXT_MAX", 4000))
KABINET_APPEAL_MAX_FILES = int(os.environ.get("KABINET_APPEAL_MAX_FILES", 5))
KABINET_APPEAL_MAX_FILE_MB = int(os.environ.get("KABINET_APPEAL_MAX_FILE_MB", 10))
# Days after the answer during which the customer can reopen the appeal with a message;
# after them an answered appeal is closed by a periodic task.
KABINET_APPEAL_REOPEN_DAYS = int(os.environ.get("KABINET_APPEAL_REOPEN_DAYS", 30))
KABINET_APPEALS_PER_PAGE = 20


# Quality complaints (ПП № 55, docs/appeals.md «Жалобы на качество»). Identity documents and
# birth data are encrypted with KABINET_PD_KEYS (Fernet keys, comma-separated: the first
# encrypts, all decrypt, for rotation); the demo (DEBUG) derives one from SECRET_KEY, production
# must set it (`check --deploy` errors without it). After KABINET_COMPLAINT_PD_RETENTION_DAYS
# from a complaint's closing that data is wiped (the complaint stays), and after
# KABINET_COMPLAINT_PD_MAX_DAYS from its filing whatever its state (one never closed too).
def dev_pd_key(secret_key: str) -> str:
    """The demo's personal-data key (DEBUG only), derived so that `make run` needs no setup."""
    return base64.urlsafe_b64encode(hashlib.sha256(b"kabinet-pd-dev:" + secret_key.encode()).digest()).decode()


KABINET_PD_KEYS = env_list("KABINET_PD_KEYS") or ([dev_pd_key(SECRET_KEY)] if DEBUG else [])
KABINET_COMPLAINT_PD_RETENTION_DAYS = int(os.environ.get("KABINET_COMPLAINT_PD_RETENTION_DAYS", 1095))
KABINET_COMPLAINT_PD_MAX_DAYS = int(os.environ.get("KABINET_COMPLAINT_PD_MAX_DAYS", 1825))
# Answer deadline of a complaint in working days: «20» for every region, or per region code
# «66=15,59=10,20» (a bare number is the default for regions not named).
KABINET_COMPLAINT_ANSWER_DAYS = os.environ.get("KABINET_COMPLAINT_ANSWER_DAYS", "20")


def refuse_unusable_complaints(debug: bool, environ: dict[str, str], allowed_hosts: list[str]) -> None:
    """Like the placeholders: a malformed key or answer-days table refuses to start (else the
    site runs and every complaint filing fails with a server error). A missing key refuses only
    on a server answering a public name, as the debug refusal tells production: tests and
    embedded runs, on loopback names, take no complaints with real documents and need none.
    `check --deploy` (kabinet.E001/E002) stays for the settings changed after start-up."""
    if debug:
        return
    from kabinet.appeals.answer_days import parse_answer_days
    from kabinet.core.pd_crypto import key_problem

    keys = [key.strip() for key in environ.get("KABINET_PD_KEYS", "").split(",") if key.strip()]
    if not keys and any(not _is_loopback(host.lstrip(".")) for host in allowed_hosts):
        raise ImproperlyConfigured(
            "KABINET_PD_KEYS is not set: complaints could not be filed. "
            "Generate a key with `manage.py generate_pd_key` (docs/appeals.md)."
        )
    for number, key in enumerate(keys, 1):
        if problem := key_problem(key):
            raise ImproperlyConfigured(f"KABINET_PD_KEYS key #{number}: {problem}")
    parse_answer_days(environ.get("KABINET_COMPLAINT_ANSWER_DAYS", "20"))


refuse_unusable_complaints(DEBUG, dict(os.environ), ALLOWED_HOSTS)


def refuse_wiping_everything(retention_days: int, max_days: int) -> None:
    """0 or a negative period would empty every complaint's document data at the next daily
    wipe, debug or not: refused before anything runs (`check --deploy`: kabinet.E003)."""
    from kabinet.appeals.retention import retention_problem

    if problem := retention_problem(retention_days, max_days):
        raise ImproperlyConfigured(problem)


refuse_wiping_everything(KABINET_COMPLAINT_PD_RETENTION_DAYS, KABINET_COMPLAINT_PD_MAX_DAYS)
# «Оцените ответ» (docs/appeals.md «Ratings»): the links sent with an answer work once and for
# this many days (issue 16); requests to them per client address a minute; how long the
# «thank you» page may still add a comment or change the score.
KABINET_RATING_LINK_DAYS = 28
KABINET_RATING_LINK_RATE = 20
KABINET_RATING_COMMENT_MINUTES = 60
# Django refuses outright what no form of ours would send: more than twice an appeal's files,
# by number or by bytes (core.uploads; a plain 400). Anything over the appeal limits within
# these bounds gets a message at the form's files field, and nothing of it is stored.
DATA_UPLOAD_MAX_NUMBER_FILES = 2 * KABINET_APPEAL_MAX_FILES
KABINET_UPLOAD_MAX_BYTES = 2 * KABINET_APPEAL_MAX_FILES * KABINET_APPEAL_MAX_FILE_MB * 1024 * 1024
FILE_UPLOAD_HANDLERS = [
    "kabinet.core.uploads.RequestSizeLimit",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# --- Background work --------------------------------------------------------------------
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BEAT_SCHEDULE = {
    "redeliver-due-messages": {
        "task": "kabinet.notifications.tasks.redeliver_due_messages",
        "schedule": 60.0,
    },
    "close-answered-appeals": {"task": "kabinet.appeals.tasks.close_answered_appeals", "schedule": 3600.0},
    "purge-uploads": {"task": "kabinet.appeals.tasks.purge_uploads", "schedule": 3600.0},
    "wipe-complaint-pd": {"task": "kabinet.appeals.tasks.wipe_complaint_personal_data", "schedule": 86400.0},
    "purge-email-confirmations": {"task": "kabinet.identity.tasks.purge_email_confirmations", "schedule": 86400.0},
    "purge-api-tokens": {"task": "kabinet.identity.tasks.purge_api_tokens", "schedule": 86400.0},
    # Bills of the previous month on the 1st at 03:00; the e-mailed ones on the 2nd at 09:00,
    # once generation is surely done. Both are safe to re-run (docs/bills.md).
    "generate-bills": {
        "task": "kabinet.billing.tasks.generate_monthly_bills",
        "schedule": crontab(minute="0", hour="3", day_of_month="1"),
    },
    "send-electronic-bills": {
        "task": "kabinet.billing.tasks.send_monthly_electronic_bills",
        "schedule": crontab(minute="0", hour="9", day_of_month="2"),
    },
    # The drop folder (and S3) every 5 minutes; one pickup at a time, a busy one is skipped.
    "exchange-pickup": {"task": "kabinet.exchange.tasks.import_drop_folder", "schedule": 300.0},
    # Payments and refunds whose notification was lost (or, in the demo, never sent).
    "refresh-payments": {"task": "kabinet.payments.tasks.refresh_pending_payments", "schedule": 600.0},
    # Autopayments: the day's charges at 10:00, in the day, not at night (docs/payments.md);
    # first payments whose customer never came back, every 10 minutes.
    "charge-autopayments": {
        "task": "kabinet.payments.tasks.charge_autopayments",
        "schedule": crontab(minute="0", hour="10"),
    },
    "settle-autopayment-setups": {"task": "kabinet.payments.tasks.settle_autopayment_setups", "schedule": 600.0},
    # New readings and bill delivery changes for billing every night at 01:30 (docs/exchange.md).
    "exchange-export": {
        "task": "kabinet.exchange.tasks.export_for_billing",
        "schedule": crontab(minute="30", hour="1"),
    },
}

# --- I18N, static -----------------------------------------------------------------------
LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", "Русский")]
TIME_ZONE = os.environ.get("KABINET_TIME_ZONE", "Asia/Yekaterinburg")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("KABINET_STATIC_ROOT", DATA_DIR / "static"))

# Attachments of appeals, bills and e-mail files ("attachments") and anything else stored by
# Django ("default"): private, served only by views that check access. No MEDIA_URL is routed
# anywhere, so nothing stored here has a public address.
KABINET_ATTACHMENTS_DIR = Path(os.environ.get("KABINET_ATTACHMENTS_DIR", DATA_DIR / "attachments"))
# Downloads from S3 pass through the application (`stream`, the default: the bucket stays
# unreachable from the internet) or redirect to a link signed for KABINET_S3_LINK_TTL seconds
# (`redirect`: the app servers do not carry the bytes). docs/production.md «Общее хранилище файлов».
KABINET_S3_DOWNLOADS = os.environ.get("KABINET_S3_DOWNLOADS", "stream")
if KABINET_S3_DOWNLOADS not in {"stream", "redirect"}:
    raise ImproperlyConfigured("KABINET_S3_DOWNLOADS must be stream or redirect")
KABINET_S3_LINK_TTL = int(os.environ.get("KABINET_S3_LINK_TTL", 60))


def s3_storage(
    location: str, bucket: str, endpoint_url: str | None, region: str, key: str, secret: str, ttl: int
) -> dict:
    """A private S3 entry of STORAGES: objects written with the private ACL, URLs only ever
    signed (never a plain public address), an existing name never overwritten."""
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "location": location,
            "endpoint_url": endpoint_url,
            "region_name": region,
            "access_key": key or None,
            "secret_key": secret or None,
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": ttl,
            "file_overwrite": False,
            "signature_version": "s3v4",
            # Anything still read through S3File (whole object at first read) spools to disk
            # beyond 5 MB; the default 0 keeps it all in memory. Downloads stream: core.storage.
            "max_memory_size": 5 * 1024 * 1024,
        },
    }


def _s3(location: str) -> dict:
    return s3_storage(
        location,
        KABINET_S3_BUCKET,
        KABINET_S3_ENDPOINT_URL,
        KABINET_S3_REGION,
        KABINET_S3_ACCESS_KEY_ID,
        KABINET_S3_SECRET_ACCESS_KEY,
        KABINET_S3_LINK_TTL,
    )


if KABINET_S3_BUCKET:
    _files, _attachments = _s3("files"), _s3("attachments")
else:
    _files = {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": DATA_DIR / "files"}}
    _attachments = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": KABINET_ATTACHMENTS_DIR,
            "file_permissions_mode": 0o640,
            "directory_permissions_mode": 0o750,
        },
    }
STORAGES = {
    "default": _files,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "attachments": _attachments,
}

# --- Security ---------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env_bool("KABINET_SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = 0 if DEBUG else int(os.environ.get("KABINET_HSTS_SECONDS", 31536000))
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
if env_bool("KABINET_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Number of trusted proxies in front of the app that append to X-Forwarded-For.
KABINET_TRUSTED_PROXIES = int(os.environ.get("KABINET_TRUSTED_PROXIES", 0))

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}

# --- Health, metrics, logs (docs/production.md «Здоровье, метрики, журналы») -----------------
# /metrics answers these addresses or networks only (the client address as core.net.client_ip
# sees it, so behind nginx set KABINET_TRUSTED_PROXIES).
KABINET_METRICS_ALLOWED_IPS = env_list("KABINET_METRICS_ALLOWED_IPS", "127.0.0.1,::1")
# prometheus_client's multiprocess mode: each gunicorn worker writes its counters to files
# here and /metrics sums them. prometheus_client reads the variable itself at import, so it
# must be in the process's environment (the systemd unit's EnvironmentFile), one empty
# directory per gunicorn instance (kabinet.core.gunicorn_hooks empties it at start).
KABINET_PROMETHEUS_MULTIPROC_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
# text: one readable line per record; json: one JSON object per line for a log collector.
KABINET_LOG_FORMAT = os.environ.get("KABINET_LOG_FORMAT", "text")
if KABINET_LOG_FORMAT not in {"text", "json"}:
    raise ImproperlyConfigured(f"KABINET_LOG_FORMAT must be text or json, not {KABINET_LOG_FORMAT!r}")
KABINET_LOG_LEVEL = os.environ.get("KABINET_LOG_LEVEL", "INFO")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "kabinet.core.request_id.RequestIdFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": True,
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": KABINET_LOG_FORMAT, "filters": ["request_id"]}
    },
    "loggers": {
        "kabinet": {"handlers": ["console"], "level": KABINET_LOG_LEVEL},
        # Django's own (500s with their traceback, refused hosts) and Celery's, in the same
        # format; without this, DEBUG off, Django's went only to ADMINS by e-mail.
        "django": {"handlers": ["console"], "level": "WARNING"},
        "django.request": {"level": "ERROR"},  # not a line per 404: the metrics count those
        "celery": {"handlers": ["console"], "level": KABINET_LOG_LEVEL},
    },
}
