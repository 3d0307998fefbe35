from django.contrib.admin.apps import AdminConfig


class KabinetAdminConfig(AdminConfig):
    """Django's admin on our site class (kept apart: AppConfigs load before models)."""

    default_site = "kabinet.core.admin_site.KabinetAdminSite"
