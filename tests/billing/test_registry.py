"""House-number normalisation and the registry lookup with its explicit failures."""

import pytest

from kabinet.billing.houses import normalize_house, same_house
from kabinet.billing.models import Region
from kabinet.billing.registry import (
    AccountNotFound,
    RegistryUnavailable,
    all_regions,
    default_among,
    default_region,
    find_account,
)
from tests.factories import make_account, make_region, orm_compilations


@pytest.mark.parametrize("typed", ["12а", "12 А", "12А", "д. 12а", "дом 12-а", "12a", " 12 a ", '12"а"'])
def test_house_number_spellings_are_one_house(typed):
    assert same_house(typed, "12а")


@pytest.mark.parametrize(
    ("typed", "registered"),
    [("5 корп. 2", "5к2"), ("5 корпус 2", "5 к 2"), ("7 стр. 1", "7с1"), ("45/2", "45 / 2"), ("3Ё", "3е")],
)
def test_building_and_block_words(typed, registered):
    assert same_house(typed, registered)


@pytest.mark.parametrize(("typed", "registered"), [("12", "12а"), ("12б", "12а"), ("", ""), ("  ", "12"), ("21", "12")])
def test_different_houses(typed, registered):
    assert not same_house(typed, registered)


def test_normal_form():
    assert normalize_house("Д. 12 А") == "12а"


def test_find_account_active_and_closed(sverdlovsk):
    new = make_account(sverdlovsk, "660100000003")
    closed = make_account(sverdlovsk, "660100000002", status="closed", replaced_by=new)
    assert find_account(sverdlovsk, " 660100000002 ") == closed
    assert find_account(sverdlovsk, "660100000002").replaced_by == new


def test_account_of_another_region_is_not_found(sverdlovsk, perm):
    make_account(sverdlovsk, "660100000001")
    with pytest.raises(AccountNotFound):
        find_account(perm, "660100000001")


def test_registry_unavailable_by_setting_or_per_region(sverdlovsk, perm, settings):
    make_account(sverdlovsk, "660100000001")
    settings.KABINET_REGISTRY_AVAILABLE = False
    with pytest.raises(RegistryUnavailable):
        find_account(sverdlovsk, "660100000001")
    settings.KABINET_REGISTRY_AVAILABLE = True
    sverdlovsk.registry_available = False
    sverdlovsk.save()
    with pytest.raises(RegistryUnavailable):
        find_account(sverdlovsk, "660100000001")
    with pytest.raises(AccountNotFound):
        find_account(perm, "660100000001")  # other regions still answer


def test_default_region(sverdlovsk, perm):
    assert default_region() == sverdlovsk
    sverdlovsk.is_default = False
    sverdlovsk.save()
    assert default_region() == sverdlovsk  # none marked: the first in order


def test_default_among_regions_read_is_the_same_rule(sverdlovsk, perm):
    """What the forms use on the regions they list, without a query of its own."""
    assert default_among(list(Region.objects.all())) == default_region() == sverdlovsk
    Region.objects.update(is_default=False)
    Region.objects.filter(pk=perm.pk).update(is_default=True)
    assert default_among(list(Region.objects.all())) == default_region() == perm
    Region.objects.update(is_default=False)
    assert default_among(list(Region.objects.all())) == default_region() == sverdlovsk
    assert default_among([]) is None


def test_all_regions_are_the_querysets_in_its_order(sverdlovsk, perm):
    """Compiled once (core.compiled), in Region.Meta.ordering, every field as the ORM reads it."""
    all_regions()
    make_region(code="59x", name="Аааа", ordering=1, is_default=False)
    Region.objects.filter(pk=perm.pk).update(name="Пермский <b>", registry_available=False)
    with orm_compilations() as compiled:
        listed = all_regions()
    assert compiled == []
    fields = [field.attname for field in Region._meta.concrete_fields]
    assert [[getattr(r, name) for name in fields] for r in listed] == [
        [getattr(r, name) for name in fields] for r in Region.objects.all()
    ]
    assert [r.name for r in listed] == ["Аааа", "Свердловский", "Пермский <b>"]


def test_only_one_default_region(sverdlovsk, perm):
    from django.db import IntegrityError, transaction

    perm.is_default = True
    with pytest.raises(IntegrityError), transaction.atomic():
        perm.save()
