"""Ids in paths and bodies: whole numbers a database row can have (BigAutoField: 1 to 2⁶³−1).
A larger one is a client's error (422), not a query that overflows SQLite's integer (500)."""

from typing import Annotated

from ninja import Field

MAX_ID = 2**63 - 1

ObjectId = Annotated[int, Field(ge=1, le=MAX_ID)]
