"""System checks of Kabinet's own settings (`manage.py check --deploy`)."""

from django.conf import settings
from django.core.checks import Error, Tags, register

from kabinet.core.pd_crypto import key_problem


@register(Tags.security, deploy=True)
def check_pd_keys(app_configs, **kwargs) -> list[Error]:
    """Identity documents of complaints are encrypted with KABINET_PD_KEYS: production
    without a key could not take a complaint, and a bad key would fail only at the first one."""
    keys = settings.KABINET_PD_KEYS
    if not keys:
        return [
            Error(
                "KABINET_PD_KEYS is not set: complaints' identity-document data cannot be encrypted.",
                hint="Generate a key with `manage.py generate_pd_key` and set KABINET_PD_KEYS (docs/appeals.md).",
                id="kabinet.E001",
            )
        ]
    return [
        Error(f"KABINET_PD_KEYS key #{n}: {problem}", id="kabinet.E002")
        for n, key in enumerate(keys, 1)
        if (problem := key_problem(key))
    ]
