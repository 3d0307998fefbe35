"""Form pieces the customers' and the operators' appeal forms share: several files in one
input, and the text and file limits from settings."""

from django import forms
from django.conf import settings
from django.core.validators import MaxLengthValidator

from kabinet.appeals.files import ALLOWED_TEXT, files_count, limits


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class FilesField(forms.FileField):
    """Several files in one input; each is checked by the appeals' file rules in the view,
    which keeps the good ones even when another is rejected."""

    widget = MultipleFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"})

    def clean(self, data, initial=None):
        return list(data) if isinstance(data, (list, tuple)) else ([data] if data else [])


def files_help() -> str:
    limit = limits()
    return f"{ALLOWED_TEXT}, до {files_count(limit.files)}, каждый не больше {limit.file_mb} МБ."


def limit_text_and_files(form: forms.Form) -> None:
    """The text's length limit (checked here, announced by the counter in kabinet.js) and the
    files' rules as help, from settings at the time the form is made."""
    limit = settings.KABINET_APPEAL_TEXT_MAX
    text = form.fields["text"]
    text.max_length = limit
    text.validators.append(MaxLengthValidator(limit))
    text.widget.attrs.update({"maxlength": limit, "data-counter": limit})
    files, limit = form.fields["files"], limits()
    files.help_text = files_help()
    # kabinet.js warns before sending; the server's check in appeals.files stays the rule.
    files.widget.attrs.update({"data-max-files": limit.files, "data-max-file-mb": limit.file_mb})


def valid_with_files(form: forms.Form, file_errors: list[str]) -> bool:
    """Validate the form; the files the view rejected become errors of its «files» field, so
    they are tied to the input (aria-invalid, aria-describedby) like any other field's."""
    valid = form.is_valid()
    for error in file_errors:
        form.add_error("files", error)
    return valid and not file_errors
