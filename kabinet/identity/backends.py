from django.contrib.auth.backends import ModelBackend

from kabinet.identity.factors import user_with_factor_on


class KabinetBackend(ModelBackend):
    """Django's model backend keyed by phone; used by the admin and by login() after our
    own services have checked the identifier (account number, phone or e-mail)."""

    def get_user(self, user_id):
        """The session's user, with whether a second factor is on in the same query (every
        signed-in request asks it: identity.middleware)."""
        user = user_with_factor_on(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
