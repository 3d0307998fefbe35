from django.http import HttpRequest

from kabinet.billing.registry import default_contacts


def site(request: HttpRequest) -> dict:
    """The region's contact centre and feedback form for the footer and error messages."""
    contacts = default_contacts()
    return {
        "contact_phone": contacts.phone,
        "contact_phone_tel": contacts.phone_tel,
        "feedback_url": contacts.feedback_url,
    }
