from django.http import HttpRequest

from kabinet.portal.access import is_customer_session


def customer(request: HttpRequest) -> dict:
    """Whether the header shows the customer's menu and sections: only to a customer's session;
    then also the name and initials the menu shows, as plain strings (read in the template,
    each went through the lazy user and a chain of filters: 50 µs a page,
    docs/performance.md step 9)."""
    if not is_customer_session(request):
        return {"customer_session": False}
    user = request.user
    return {
        "customer_session": True,
        "customer_name": user.get_full_name() or user.phone or "Профиль",
        "customer_initials": (user.first_name[:1] or "●") + user.last_name[:1],
    }
