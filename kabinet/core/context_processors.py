import re

from django.http import HttpRequest

from kabinet.billing.registry import contact_phone, default_region


def site(request: HttpRequest) -> dict:
    """The region's contact centre and feedback form for the footer and error messages."""
    region = default_region()
    phone = contact_phone(region)
    return {
        "contact_phone": phone,
        "contact_phone_tel": re.sub(r"[^\d+]", "", phone),
        "feedback_url": region.feedback_url if region else "#",
    }
