from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    """Security-relevant events: who did what, from where, when. Never edited, never deleted."""

    class Action(models.TextChoices):
        LOGIN = "login", "Вход"
        LOGIN_FAILED = "login_failed", "Неудачный вход"
        LOGOUT = "logout", "Выход"
        LOCKED = "locked", "Блокировка после неудачных попыток"
        REGISTERED = "registered", "Регистрация"
        CODE_SENT = "code_sent", "Отправлен код"
        CODE_FAILED = "code_failed", "Неверный код"
        PASSWORD_RESET = "password_reset", "Восстановление пароля"
        PASSWORD_CHANGED = "password_changed", "Смена пароля"
        PROFILE_CHANGED = "profile_changed", "Изменение профиля"
        EMAIL_CHANGED = "email_changed", "Изменение e-mail"
        PHONE_CHANGED = "phone_changed", "Изменение телефона"
        ACCOUNT_ADDED = "account_added", "Добавлен лицевой счёт"
        ACCOUNT_REMOVED = "account_removed", "Удалён лицевой счёт"
        LEGACY_HASH_UPGRADED = "legacy_upgraded", "Обновлён пароль пользователя старого ЛК"
        AUTOPAYMENT_SETUP = "autopayment_setup", "Подключение автоплатежа: первый платёж"
        AUTOPAYMENT_ON = "autopayment_on", "Автоплатёж подключён"
        AUTOPAYMENT_CHANGED = "autopayment_changed", "Автоплатёж изменён"
        AUTOPAYMENT_STOPPED = "autopayment_stopped", "Автоплатёж остановлен"
        AUTOPAYMENT_OFF = "autopayment_off", "Автоплатёж отключён клиентом"
        REFUND = "refund", "Возврат платежа"
        SECOND_FACTOR_ON = "second_factor_on", "Второй фактор подключён"
        SECOND_FACTOR_OFF = "second_factor_off", "Второй фактор отключён"
        SECOND_FACTOR_USED = "second_factor_used", "Вход со вторым фактором"
        SECOND_FACTOR_FAILED = "second_factor_failed", "Неверный код второго фактора"
        RECOVERY_CODE_USED = "recovery_code_used", "Использован резервный код"
        RECOVERY_CODES_NEW = "recovery_codes_new", "Новые резервные коды"
        SETUP_GRANT_ISSUED = "setup_grant_issued", "Выдан код подключения второго фактора"
        SETUP_GRANT_USED = "setup_grant_used", "Принят код подключения второго фактора"
        PD_WIPED = "pd_wiped", "Удалены персональные данные жалобы (срок хранения истёк)"

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    action = models.CharField(max_length=32, choices=Action.choices, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    identifier = models.CharField("идентификатор", max_length=254, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = "событие журнала"
        verbose_name_plural = "журнал безопасности"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.get_action_display()} {self.identifier}"
