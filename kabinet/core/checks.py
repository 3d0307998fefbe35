"""System checks of Kabinet's own settings (`manage.py check --deploy`)."""

from django.conf import settings
from django.core.cache.backends.redis import RedisCache
from django.core.checks import Error, Tags, Warning, register
from django.utils.module_loading import import_string

from kabinet.appeals.retention import cap_problem, retention_problem
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


@register(Tags.security, deploy=True)
def check_pd_retention(app_configs, **kwargs) -> list[Error | Warning]:
    """The complaints' retention periods as the settings hold them now (start-up refuses the
    same from the environment)."""
    retention, cap = settings.KABINET_COMPLAINT_PD_RETENTION_DAYS, settings.KABINET_COMPLAINT_PD_MAX_DAYS
    if problem := retention_problem(retention, cap):
        return [Error(problem, hint="docs/appeals.md «Retention».", id="kabinet.E003")]
    if problem := cap_problem(retention, cap):
        return [Warning(problem, hint="Set the cap above the retention period (docs/appeals.md).", id="kabinet.W003")]
    return []


@register(Tags.caches, deploy=True)
def check_shared_cache(app_configs, **kwargs) -> list[Error]:
    """Every process of an installation — web, workers, a cron-run `manage.py import_*` — must
    share one Redis (REDIS_URL, one KABINET_CACHE_PREFIX): a process with its own cache bumps
    the API's kept answers only there, and the web serves the answers from before an import
    for 5 minutes, silently (docs/api.md «Kept answers»). Production runs Redis
    (deploy/kabinet.env.example, docs/production.md «Redis»)."""
    backend = import_string(settings.CACHES["default"]["BACKEND"])
    if settings.DEBUG or issubclass(backend, RedisCache):
        return []
    return [
        Error(
            "REDIS_URL is not set: this process's cache is its own, and the API's kept answers are "
            "not told about the writes of the others.",
            hint="Set REDIS_URL (and the same KABINET_CACHE_PREFIX) in every process's environment, "
            "cron jobs included (docs/api.md «Kept answers»).",
            id="kabinet.E004",
        )
    ]
