"""The admin site's sign-in form: the admin site is a door like the portal and the back office,
so it signs in through identity's login, normalised and counted like every other door.
(Django's own form counted nothing and stripped the name only after our counter had keyed on
it, so « +79990000000» got past a lock on «+79990000000».)"""

from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError

from kabinet.core.net import client_ip
from kabinet.core.wording import locked_message
from kabinet.identity.login import Outcome, authenticate_by_contact


class AdminLoginForm(AdminAuthenticationForm):
    def clean(self) -> dict:
        username, password = self.cleaned_data.get("username"), self.cleaned_data.get("password")
        if not username or not password:
            return self.cleaned_data  # the fields' own errors say what is missing
        result = authenticate_by_contact(
            username, password, client_ip(self.request), scope="admin", allowed=lambda user: user.is_staff
        )
        if result.outcome is Outcome.LOCKED:
            raise ValidationError(locked_message(result.locked_until), code="locked")
        if result.outcome is not Outcome.OK:
            raise self.get_invalid_login_error()
        self.user_cache = result.user
        return self.cleaned_data
