"""Lists come in pages: `?limit=&offset=` in, `{count, items}` out (ninja's
LimitOffsetPagination with our bounds).

    @router.get("/things", response=list[ThingOut])
    @paginate(Pagination)
    def things(request): return queryset
"""

from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination, paginate

__all__ = ["DEFAULT_LIMIT", "MAX_LIMIT", "MAX_OFFSET", "Pagination", "paginate"]

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
# No list is this long; a larger offset would overflow the database's integer (a 500 on SQLite).
MAX_OFFSET = 10**9


class Pagination(LimitOffsetPagination):
    class Input(Schema):
        limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Сколько элементов вернуть")
        offset: int = Field(0, ge=0, le=MAX_OFFSET, description="Сколько элементов пропустить")

    def __init__(self, **kwargs):
        super().__init__(max_limit=MAX_LIMIT, **kwargs)
