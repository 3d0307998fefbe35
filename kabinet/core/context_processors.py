import re

from django.conf import settings
from django.http import HttpRequest

from kabinet.billing.registry import default_region


def site(request: HttpRequest) -> dict:
    """The region's contact centre and feedback form for the footer and error messages."""
    region = default_region()
    phone = region.contact_phone if region else "8-800-700-10-32"
    return {
        "DEBUG": settings.DEBUG,
        "contact_phone": phone,
        "contact_phone_tel": re.sub(r"[^\d+]", "", phone),
        "feedback_url": region.feedback_url if region else "#",
    }
