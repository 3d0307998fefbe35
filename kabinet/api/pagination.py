"""Lists come in pages: `?limit=&offset=` in, `{count, items}` out (ninja's
LimitOffsetPagination with our bounds).

    @router.get("/things", response=list[ThingOut])
    @paginate(Pagination)
    def things(request): return queryset
"""

from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination, paginate

__all__ = ["DEFAULT_LIMIT", "MAX_LIMIT", "Pagination", "paginate"]

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class Pagination(LimitOffsetPagination):
    class Input(Schema):
        limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Сколько элементов вернуть")
        offset: int = Field(0, ge=0, description="Сколько элементов пропустить")

    def __init__(self, **kwargs):
        super().__init__(max_limit=MAX_LIMIT, **kwargs)
