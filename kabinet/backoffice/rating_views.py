"""«Оценки ответов»: customers' scores of the answers in the supervisor's regions, by
operator, topic and month. The figures are kabinet.appeals.ratings.summary."""

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from kabinet.appeals import ratings
from kabinet.backoffice.views import staff_required


@staff_required
def ratings_page(request: HttpRequest) -> HttpResponse:
    role = request.staff_role
    # Operators are not ranked in front of each other: the page is the supervisors'.
    if not role.is_supervisor:
        raise PermissionDenied
    return render(request, "backoffice/ratings.html", {"summary": ratings.summary(role)})
