"""The back office's section tabs on a 360-px phone: all on one row, none left alone below
(the newcomer's walk-through found «Оценки ответов» on a row of its own)."""

from kabinet.appeals.models import StaffRole
from tests.e2e.helpers import assert_fits_the_screen, staff_log_in
from tests.factories import make_staff


def test_a_supervisors_tabs_share_one_row_on_a_phone(page, sverdlovsk):
    make_staff("supervisor@example.ru", StaffRole.Role.SUPERVISOR, sverdlovsk, first_name="Ольга")
    staff_log_in(page, "supervisor@example.ru")
    tabs = page.get_by_role("navigation", name="Разделы бэк-офиса").get_by_role("link")
    tops = {round(box["y"]) for box in (tab.bounding_box() for tab in tabs.all())}
    widths = [tab.bounding_box()["width"] for tab in tabs.all()]
    assert tabs.count() == 3 and len(tops) == 1, (tops, widths)
    assert_fits_the_screen(page)
