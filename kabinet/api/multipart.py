"""Multipart (and urlencoded) forms as the schema reads them: a field the schema calls a binary
file is a file, whatever part it comes in.

Django files a part without a filename under request.POST, so ninja — which looks for file
fields only in request.FILES — never saw a text part named like one: `files='{"a": 1}'` was a
request without files, and the appeal was stored (201) with the client's input silently dropped.
Here the text parts go along with the files, so the file field's own validation meets them and
refuses them (422, validation.py says it in Russian) before the view runs and stores anything."""

from django.http import HttpRequest
from django.utils.datastructures import MultiValueDict
from ninja.parser import Parser as NinjaParser
from ninja.types import DictStrAny


class Parser(NinjaParser):
    def parse_querydict(self, data: MultiValueDict, list_fields: list[str], request: HttpRequest) -> DictStrAny:
        if data is request.FILES:
            data = with_text_parts(request)
        return super().parse_querydict(data, list_fields, request)


def with_text_parts(request: HttpRequest) -> MultiValueDict:
    """The files and, beside them, every text part; a file model reads only its own fields, so
    the other text parts (the form's fields) pass it unseen."""
    parts = request.FILES.copy()  # set-based: not a write (a dict's copy)
    for name, values in request.POST.lists():
        parts.setlistdefault(name, []).extend(values)
    return parts
