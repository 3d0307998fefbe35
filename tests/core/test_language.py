"""One language (settings.LANGUAGES): Russian whatever the browser asks for, and pages that do
not vary by Accept-Language (no LocaleMiddleware: docs/performance.md, step 8)."""

from django.urls import reverse


def test_russian_whatever_the_browser_asks(client, sverdlovsk):
    response = client.post(reverse("portal:login"), {"identifier": "660100000001"}, HTTP_ACCEPT_LANGUAGE="en-GB,en")
    assert "Обязательное поле." in response.content.decode()
    assert "Accept-Language" not in response.get("Vary", "")
