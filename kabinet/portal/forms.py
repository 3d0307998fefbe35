"""Customer forms. They parse and present input; the rules live in kabinet.identity."""

from collections.abc import Sequence

from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.forms.models import ModelChoiceIterator

from kabinet.billing.models import Region
from kabinet.billing.registry import all_regions, default_among
from kabinet.identity.names import NAME_MAX_LENGTH, validate_name
from kabinet.identity.phones import InvalidPhone, normalize_phone

ACCOUNT_LABEL = "Номер лицевого счета"
PHONE_HELP = "Мобильный телефон в формате +7\u00a0912\u00a0345\u201167\u201189"  # non-breaking: the number on one line


class RegionChoices(ModelChoiceIterator):
    """The regions read once per form: Django's select looks at a ModelChoiceField's queryset
    twice while it renders (whether it is required, then its options), a query each time, and
    the initial region is a third look."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for region in self.regions():
            yield self.choice(region)

    def __len__(self) -> int:
        return len(self.regions()) + (self.field.empty_label is not None)

    def __bool__(self) -> bool:
        return self.field.empty_label is not None or bool(self.regions())

    def regions(self) -> list[Region]:
        if not hasattr(self, "_regions"):
            self._regions = self.field.listed()
        return self._regions

    def offer(self, regions: Sequence[Region]) -> None:
        """List these regions, already read by the caller as `listed` reads them, without a query."""
        self._regions = list(regions)


class RegionField(forms.ModelChoiceField):
    iterator = RegionChoices

    def __init__(self, **kwargs):
        super().__init__(queryset=Region.objects.all(), label="Регион", empty_label=None, **kwargs)
        self._every_region = self.queryset  # the queryset as the field makes it

    def __deepcopy__(self, memo):
        result = super().__deepcopy__(memo)  # each form's copy: its queryset is copied too
        result._every_region = result.queryset if self.queryset is self._every_region else None
        return result

    def listed(self) -> list[Region]:
        """The regions offered: its queryset's rows, read by a compiled statement
        (`billing.registry.all_regions`) while the queryset is the one the field made; any other
        assigned later (filtered, ordered, reversed, a union…) is read as it is."""
        if self.queryset is not self._every_region:
            return list(self.queryset)
        return all_regions()

    def default(self) -> Region | None:
        """The region chosen at first: `billing.registry.default_region`, from the regions listed."""
        return default_among(self.widget.choices.regions())


class ListedChoices(ModelChoiceIterator):
    """A `ListedModelChoiceField`'s options: its rows, without a query."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for row in self.field.rows:
            yield self.choice(row)

    def __len__(self) -> int:
        return len(self.field.rows) + (self.field.empty_label is not None)

    def __bool__(self) -> bool:
        return self.field.empty_label is not None or bool(self.field.rows)


class ListedModelChoiceField(forms.ModelChoiceField):
    """A ModelChoiceField over rows the page has read already (a compiled read): it offers
    those rows and takes a value only if it is the key of one of them. Django's field runs its
    queryset twice while it draws the select (whether it is required, then the options) and
    once more to validate; this one's queryset is empty (nothing read from it could be offered
    or taken), its `rows` are the choices. Values are read as the queryset's `pk` lookup reads
    them (the key field's get_prep_value), so the same ones are valid."""

    iterator = ListedChoices

    def __init__(self, model: type[Model], **kwargs):
        self.rows: Sequence[Model] = ()
        super().__init__(queryset=model._default_manager.none(), **kwargs)

    def __deepcopy__(self, memo):
        # Each form copies its fields: Django's field clones its queryset then, which this
        # one never runs (its empty queryset is shared); the new copy's widget lists its rows.
        result = super(forms.ChoiceField, self).__deepcopy__(memo)
        result.widget.choices = result.choices
        return result

    def set_rows(self, rows: Sequence[Model]) -> None:
        self.rows = rows
        self.widget.choices = self.choices  # the select's iterator reads this field's rows

    def to_python(self, value):
        if value in self.empty_values:
            return None
        self.validate_no_null_characters(value)
        model = self.queryset.model
        try:
            key = value.pk if isinstance(value, model) else model._meta.pk.get_prep_value(value)
        except (ValueError, TypeError):
            key = None
        found = next((row for row in self.rows if key is not None and row.pk == key), None)
        if found is not None:
            return found
        raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice", params={"value": value})


class RegionInitialMixin:
    """The region field's initial region; `regions`, when given, are the ones it lists (read by
    the caller as `RegionField.listed` reads them), so that the form reads none itself."""

    def __init__(self, *args, regions: Sequence[Region] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if "region" in self.fields and regions is not None:
            self.fields["region"].widget.choices.offer(regions)
        if "region" in self.fields and not self.is_bound:
            self.fields["region"].initial = self.fields["region"].default()


def phone_field(label: str = "Телефон", **kwargs) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=24,
        help_text=PHONE_HELP,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "placeholder": "+7", "inputmode": "tel"}),
        **kwargs,
    )


def clean_phone_value(value: str) -> str:
    try:
        return normalize_phone(value)
    except InvalidPhone:
        raise forms.ValidationError(
            "Укажите мобильный телефон России: +7 и 10 цифр, например +7 912 345-67-89."
        ) from None


def name_fields() -> tuple[forms.CharField, forms.CharField]:
    """«Имя» and «Фамилия», checked by identity.names' rule."""
    return tuple(
        forms.CharField(
            label=label,
            max_length=NAME_MAX_LENGTH,
            required=False,
            validators=[validate_name],
            error_messages={"max_length": f"Не длиннее {NAME_MAX_LENGTH} символов."},
            widget=forms.TextInput(attrs={"autocomplete": autocomplete}),
        )
        for label, autocomplete in (("Имя", "given-name"), ("Фамилия", "family-name"))
    )


class PasswordPairMixin:
    """A new password typed twice and checked by the project's validators."""

    password_field = "password"

    def clean(self):
        cleaned = super().clean()
        password, repeat = cleaned.get(self.password_field), cleaned.get("password2")
        if password and repeat and password != repeat:
            self.add_error("password2", "Пароли не совпадают.")
        if password:
            try:
                password_validation.validate_password(password, self.password_user())
            except forms.ValidationError as error:
                self.add_error(self.password_field, error)
        return cleaned

    def password_user(self):
        return None


def new_password_fields(label: str = "Пароль") -> tuple[forms.CharField, forms.CharField]:
    # Typed passwords are rendered back after an error elsewhere so nothing typed is lost;
    # these pages are never cached.
    widget = {"autocomplete": "new-password"}
    return (
        forms.CharField(
            label=label,
            strip=False,
            help_text="Не короче 8 символов; не только цифры.",
            widget=forms.PasswordInput(attrs=widget, render_value=True),
        ),
        forms.CharField(
            label="Повторите пароль", strip=False, widget=forms.PasswordInput(attrs=widget, render_value=True)
        ),
    )


class LoginForm(RegionInitialMixin, forms.Form):
    identifier = forms.CharField(
        label="Номер лицевого счета, телефон или e-mail",
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label="Пароль", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    region = RegionField()


class RegistrationForm(RegionInitialMixin, PasswordPairMixin, forms.Form):
    account_number = forms.CharField(
        label=ACCOUNT_LABEL,
        max_length=32,
        help_text="Указан в квитанции, в верхней части.",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    house = forms.CharField(label="Номер дома", max_length=20, help_text="Как в квитанции, например 12а.")
    region = RegionField()
    phone = phone_field()
    email = forms.EmailField(label="E-mail", required=False, widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    first_name, last_name = name_fields()
    password, password2 = new_password_fields()
    consent = forms.BooleanField(
        label="Я даю согласие на обработку моих персональных данных",
        error_messages={"required": "Без согласия на обработку персональных данных регистрация невозможна."},
    )

    def clean_phone(self) -> str:
        return clean_phone_value(self.cleaned_data["phone"])

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Код из SMS",
        min_length=6,
        max_length=6,
        error_messages={"min_length": "Код состоит из 6 цифр.", "max_length": "Код состоит из 6 цифр."},
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "class": "code-input", "autofocus": True}
        ),
    )

    def clean_code(self) -> str:
        code = "".join(self.cleaned_data["code"].split())
        if not code.isdigit():
            raise forms.ValidationError("Код состоит из 6 цифр.")
        return code


class RecoveryForm(forms.Form):
    contact = forms.CharField(
        label="Телефон или e-mail, указанный при регистрации",
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )

    def clean_contact(self) -> tuple[str, str]:
        value = self.cleaned_data["contact"].strip()
        if "@" in value:
            try:
                forms.EmailField().clean(value)
            except forms.ValidationError:
                raise forms.ValidationError("Проверьте адрес e-mail: например, ivanov@mail.ru.") from None
            return ("email", value.lower())
        try:
            return ("phone", normalize_phone(value))
        except InvalidPhone:
            raise forms.ValidationError(
                "Укажите телефон (+7 и 10 цифр) или e-mail, которые вы указали при регистрации."
            ) from None


class SetPasswordForm(PasswordPairMixin, forms.Form):
    password, password2 = new_password_fields("Новый пароль")

    def __init__(self, user, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def password_user(self):
        return self.user


class ChangePasswordForm(SetPasswordForm):
    old_password = forms.CharField(
        label="Текущий пароль", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    field_order = ["old_password", "password", "password2"]


class NamesForm(forms.Form):
    first_name, last_name = name_fields()


class EmailForm(forms.Form):
    email = forms.EmailField(label="E-mail", widget=forms.EmailInput(attrs={"autocomplete": "email"}))

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()


class PhoneForm(forms.Form):
    phone = phone_field("Новый телефон")

    def clean_phone(self) -> str:
        return clean_phone_value(self.cleaned_data["phone"])


class AddAccountForm(RegionInitialMixin, forms.Form):
    account_number = RegistrationForm.base_fields["account_number"]
    house = RegistrationForm.base_fields["house"]
    region = RegionField()


class RemovePasskeyForm(forms.Form):
    """«Удалить ключ доступа»: which one, proven like turning the second factor off."""

    passkey = forms.TypedChoiceField(label="Ключ доступа", coerce=int)
    proof = forms.CharField(
        label="Код из приложения, резервный код или пароль",
        max_length=4096,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, passkeys=(), **kwargs):
        kwargs.setdefault("prefix", "remove")  # the page's other form has its own «proof»
        super().__init__(*args, **kwargs)
        self.fields["passkey"].choices = [(key.pk, key.name) for key in passkeys]


class TurnOffSecondFactorForm(forms.Form):
    proof = forms.CharField(
        label="Код из приложения или пароль",
        max_length=4096,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class SmsCodeForm(forms.Form):
    sms_code = forms.CharField(
        label="Код из SMS",
        max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
