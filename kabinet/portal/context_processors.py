from django.http import HttpRequest

from kabinet.portal.access import is_customer_session


def customer(request: HttpRequest) -> dict:
    """Whether the header shows the customer's menu and sections: only to a customer's session."""
    return {"customer_session": is_customer_session(request)}
