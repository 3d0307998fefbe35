from django.contrib.auth.backends import ModelBackend


class KabinetBackend(ModelBackend):
    """Django's model backend keyed by phone; used by the admin and by login() after our
    own services have checked the identifier (account number, phone or e-mail)."""
