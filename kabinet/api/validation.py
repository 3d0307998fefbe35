"""Pydantic's validation errors, said in Russian and keyed by field, for the problem's `errors`."""

from typing import Any

MESSAGES = {
    "missing": "Обязательное поле.",
    "string_type": "Ожидается строка.",
    "int_type": "Ожидается целое число.",
    "int_parsing": "Ожидается целое число.",
    "int_from_float": "Ожидается целое число.",
    "bool_type": "Ожидается true или false.",
    "bool_parsing": "Ожидается true или false.",
    "float_type": "Ожидается число.",
    "float_parsing": "Ожидается число.",
    "decimal_type": "Ожидается число.",
    "decimal_parsing": "Ожидается число.",
    "date_type": "Ожидается дата в формате ГГГГ-ММ-ДД.",
    "date_parsing": "Ожидается дата в формате ГГГГ-ММ-ДД.",
    "date_from_datetime_parsing": "Ожидается дата в формате ГГГГ-ММ-ДД.",
    "list_type": "Ожидается список.",
    "dict_type": "Ожидается объект.",
    "model_type": "Ожидается объект.",
    "model_attributes_type": "Ожидается объект.",
    "json_invalid": "Тело запроса — не JSON.",
    "string_too_short": "Не короче {min_length} симв.",
    "string_too_long": "Не длиннее {max_length} симв.",
    "too_short": "Не меньше {min_length} элем.",
    "too_long": "Не больше {max_length} элем.",
    "greater_than": "Должно быть больше {gt}.",
    "greater_than_equal": "Должно быть не меньше {ge}.",
    "less_than": "Должно быть меньше {lt}.",
    "less_than_equal": "Должно быть не больше {le}.",
    "literal_error": "Допустимые значения: {expected}.",
    "enum": "Допустимые значения: {expected}.",
    "extra_forbidden": "Лишнее поле.",
}
DEFAULT = "Неверное значение."
NOT_A_FILE = "Ожидается файл, а не текст."  # a text part where the schema says a file (multipart.py)
SOURCES = {"body", "query", "path", "header", "cookie", "form", "file"}


def field_name(loc: tuple | list) -> str:
    """("body", "payload", "region") → "region"; ("query", "limit") → "limit"; the whole
    body → "body"."""
    parts = [str(part) for part in loc]
    if parts and parts[0] in SOURCES:
        source, parts = parts[0], parts[1:]
        if source == "body":
            parts = parts[1:]  # the view's parameter name, not a field the client sent
        if source == "file":
            parts = parts[:1]  # the field, not which of its parts: they all are refused alike
        if not parts:
            return source
    return ".".join(parts) or "body"


def message(error: dict[str, Any]) -> str:
    kind, ctx = error.get("type", ""), error.get("ctx") or {}
    if kind == "value_error" and tuple(error.get("loc", ()))[:1] == ("file",):
        return NOT_A_FILE  # the only value a file field refuses is a text part (ninja says it in English)
    if kind == "value_error" and ctx.get("error"):
        return str(ctx["error"])  # our own validators speak Russian already
    template = MESSAGES.get(kind)
    if template is None:
        return DEFAULT
    if "expected" in ctx:  # pydantic lists the choices as «'a', 'b' or 'c'»
        ctx = {**ctx, "expected": str(ctx["expected"]).replace(" or ", " или ")}
    try:
        return template.format(**ctx)
    except (KeyError, IndexError):
        return DEFAULT


def field_errors(errors: list[dict[str, Any]]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for error in errors:
        said = found.setdefault(field_name(error.get("loc", ())), [])
        if message(error) not in said:  # two text parts in place of files: one message
            said.append(message(error))
    return found
