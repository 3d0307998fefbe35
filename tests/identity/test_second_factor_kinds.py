"""`second_factor.factor_models` is every django-otp device kind (another plugin added later
included), or its users would sign in with the password alone. Recovery codes are no factor on
their own: they come with one."""

from django.apps import apps
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice

from kabinet.identity import second_factor


def test_every_device_kind_but_recovery_codes_counts_as_a_second_factor():
    kinds = {
        model
        for model in apps.get_models()
        if issubclass(model, Device) and not model._meta.abstract and not model._meta.proxy
    }
    assert set(second_factor.factor_models()) == kinds - {StaticDevice}
