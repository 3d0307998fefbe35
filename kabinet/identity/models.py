from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django_otp.models import Device

from kabinet.identity.names import validate_name
from kabinet.identity.phones import display_phone


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, phone: str | None, password: str | None = None, **fields):
        if fields.get("email"):
            fields["email"] = fields["email"].strip().lower()
        user = self.model(phone=phone or None, **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, phone: str, password: str | None = None, **fields):
        fields.update(is_staff=True, is_superuser=True)  # set-based: not a write (a dict's update)
        return self.create_user(phone, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in. Holds one or more personal accounts through AccountLink.

    `is_active` False means blocked: the password still checks, and login then says
    «Учетная запись заблокирована».
    """

    # NULL rather than "": unique fields that some users (imported from the old portal) lack.
    phone = models.CharField(
        "телефон", max_length=16, unique=True, null=True, blank=True, help_text="В формате +79991234567"
    )
    email = models.EmailField("e-mail", null=True, blank=True)  # noqa: DJ001
    first_name = models.CharField("имя", max_length=100, blank=True, validators=[validate_name])
    last_name = models.CharField("фамилия", max_length=100, blank=True, validators=[validate_name])
    is_active = models.BooleanField("активен", default=True, help_text="Снимите, чтобы заблокировать учётную запись")
    is_staff = models.BooleanField("сотрудник", default=False)
    date_joined = models.DateTimeField("зарегистрирован", default=timezone.now)
    tour_completed_at = models.DateTimeField("знакомство пройдено", null=True, blank=True)
    legacy_login = models.CharField(
        "логин в старом ЛК", max_length=150, blank=True, help_text="Для пользователей, перенесённых из старого ЛК"
    )

    objects = UserManager()

    USERNAME_FIELD = "phone"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = "пользователь"
        verbose_name_plural = "пользователи"
        constraints = [
            models.UniqueConstraint(Lower("email"), name="identity_user_email_ci_unique"),
            # The key of `import_legacy_users`: a re-run updates rather than duplicates.
            models.UniqueConstraint(
                fields=["legacy_login"], condition=~models.Q(legacy_login=""), name="identity_user_legacy_login_unique"
            ),
        ]

    def __str__(self) -> str:
        # Shown wherever a user is named (the back office's author and assignee, the admin):
        # a phone as people write it.
        return self.get_full_name() or (display_phone(self.phone) if self.phone else "") or self.email or f"#{self.pk}"

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def save(self, *args, **kwargs) -> None:
        # Django keeps the raw password in _password only when set_password() changed it, not
        # when check_password() upgrades an old hash of the same password on login.
        changed = self._password is not None and self.pk is not None
        super().save(*args, **kwargs)
        if changed:
            # A new password ends what the old one let someone start: pending e-mail links.
            # set-based: not shown (e-mail confirmations)
            EmailConfirmation.objects.filter(user=self, used_at__isnull=True, voided_at__isnull=True).update(
                voided_at=timezone.now()
            )
            # ...and every API token: sign-ins and personal tokens alike.
            from kabinet.identity.api_tokens import revoke_all  # it imports this module

            revoke_all(self, reason="password")

    def get_short_name(self) -> str:
        return self.first_name

    def clean(self) -> None:
        super().clean()
        if self.email:
            self.email = self.email.strip().lower()


class AccountLink(models.Model):
    """A personal account held by a user; an account belongs to at most one user."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="account_links")
    account = models.OneToOneField("billing.PersonalAccount", on_delete=models.PROTECT, related_name="link")
    linked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "лицевой счёт пользователя"
        verbose_name_plural = "лицевые счета пользователей"
        ordering = ["linked_at", "pk"]

    def __str__(self) -> str:
        return f"{self.account} → {self.user}"


class VerificationCode(models.Model):
    """A 6-digit code sent by SMS. Only its HMAC is stored; the payload carries what the
    customer typed while they wait (never a password in clear, only its hash)."""

    class Purpose(models.TextChoices):
        REGISTER = "register", "Регистрация"
        RESET = "reset", "Восстановление пароля"
        PHONE_CHANGE = "phone_change", "Смена телефона"
        SECOND_FACTOR = "second_factor", "Код для входа"

    token = models.CharField(max_length=64, unique=True)
    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    phone = models.CharField(max_length=16, db_index=True)
    code_hash = models.CharField(max_length=64)
    payload = models.JSONField(default=dict, blank=True)
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "проверочный код"
        verbose_name_plural = "проверочные коды"
        indexes = [models.Index(fields=["ip", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} {self.phone} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return (
            self.used_at is None
            and self.revoked_at is None
            and self.attempts < settings.KABINET_CODE_MAX_ATTEMPTS
            and timezone.now() < self.expires_at
        )


class EmailConfirmation(models.Model):
    """A link sent to confirm an e-mail address for one user. Only a hash of the link's random
    token is stored. A link is good once, for its user and address only, until `expires_at`;
    a newer request and a password change void it (see identity.email_confirmation)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="email_confirmations")
    address = models.EmailField("адрес")
    token_hash = models.CharField(max_length=64, unique=True)
    # The address given at registration: confirming it is not a change to tell anyone about.
    at_registration = models.BooleanField(default=False)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "подтверждение e-mail"
        verbose_name_plural = "подтверждения e-mail"
        indexes = [models.Index(fields=["user", "created_at"])]

    def __str__(self) -> str:
        return f"{self.address} ({self.created_at:%Y-%m-%d %H:%M})"


class ConsentDocument(models.Model):
    """A version of the consent to personal-data processing (152-ФЗ): its own document,
    never folded into the terms of use or marketing consent."""

    version = models.CharField("версия", max_length=20, unique=True)
    title = models.CharField("заголовок", max_length=200)
    text = models.TextField("текст")
    published_at = models.DateTimeField("опубликовано", default=timezone.now)

    class Meta:
        ordering = ["-published_at"]
        get_latest_by = "published_at"
        verbose_name = "согласие на обработку персональных данных"
        verbose_name_plural = "согласия на обработку персональных данных"

    def __str__(self) -> str:
        return f"{self.title}, версия {self.version}"


class ConsentAcceptance(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="consents")
    document = models.ForeignKey(ConsentDocument, on_delete=models.PROTECT, related_name="+")
    accepted_at = models.DateTimeField(default=timezone.now)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        verbose_name = "принятое согласие"
        verbose_name_plural = "принятые согласия"

    def __str__(self) -> str:
        return f"{self.user} — {self.document.version} ({self.accepted_at:%Y-%m-%d})"


class ApiSession(models.Model):
    """A sign-in through the API: one family of refresh tokens and the access tokens they
    issued. Revoking the session (sign-out, a spent refresh token used again, a new password)
    ends every token of the family at once (identity.api_tokens)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_sessions")
    created_at = models.DateTimeField("создан", default=timezone.now)
    ip = models.GenericIPAddressField(null=True, blank=True)
    revoked_at = models.DateTimeField("отозван", null=True, blank=True)
    revoked_reason = models.CharField("причина отзыва", max_length=16, blank=True)

    class Meta:
        verbose_name = "вход через API"
        verbose_name_plural = "входы через API"

    def __str__(self) -> str:
        return f"{self.user} {self.created_at:%Y-%m-%d %H:%M}"


class ApiSessionToken(models.Model):
    """An access or refresh token of an API session; only the SHA-256 of its secret is kept.
    A refresh token is good once: `used_at` marks it spent when it is exchanged."""

    class Kind(models.TextChoices):
        ACCESS = "access", "доступ"
        REFRESH = "refresh", "обновление"

    session = models.ForeignKey(ApiSession, on_delete=models.CASCADE, related_name="tokens")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "токен входа через API"
        verbose_name_plural = "токены входа через API"
        indexes = [models.Index(fields=["expires_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.created_at:%Y-%m-%d %H:%M}"


class PersonalAccessToken(models.Model):
    """A long-lived token a customer makes in «Профиль» for home automation: named, scoped to
    some of their accounts, read-only or allowed to submit readings. The secret is shown once;
    only its SHA-256 is kept."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="personal_tokens")
    name = models.CharField("название", max_length=100)
    accounts = models.ManyToManyField("billing.PersonalAccount", related_name="+", verbose_name="лицевые счета")
    can_submit_readings = models.BooleanField("может передавать показания", default=False)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField("создан", default=timezone.now)
    expires_at = models.DateTimeField("действует до", null=True, blank=True)
    last_used_at = models.DateTimeField("последнее использование", null=True, blank=True)
    revoked_at = models.DateTimeField("отозван", null=True, blank=True)

    class Meta:
        verbose_name = "токен доступа"
        verbose_name_plural = "токены доступа"
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.name


class SmsDevice(Device):
    """A customer's second factor by SMS to their phone (identity.second_factor): the codes
    themselves are identity.codes' (HMAC-stored, limited per phone and address); this device is
    what django-otp marks a session verified by. Customers only: NIST SP 800-63B counts SMS as
    a restricted authenticator."""

    class Meta:
        verbose_name = "SMS-коды для входа"
        verbose_name_plural = "SMS-коды для входа"


class SetupGrant(models.Model):
    """An employee whose second factor an administrator deleted sets a new one up only with a
    one-time code the administrator hands over (identity.setup_grants): the password alone must
    not enrol the device of whoever knows it. The row locks the setup; its code opens it once."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="setup_grant")
    code_hash = models.CharField(max_length=64, blank=True)
    issued_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    expires_at = models.DateTimeField(null=True, blank=True)
    # The code opens one session's setup: a second entry of it is refused (and audited).
    redeemed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "код подключения второго фактора"
        verbose_name_plural = "коды подключения второго фактора"

    def __str__(self) -> str:
        return str(self.user)
