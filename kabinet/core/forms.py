from django.forms.renderers import DjangoTemplates


class KabinetFormRenderer(DjangoTemplates):
    """Fields render with a real <label>, a «*» on required ones, and errors tied to the input."""

    field_template_name = "core/forms/field.html"
