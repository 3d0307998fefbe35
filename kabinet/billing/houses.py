"""House numbers as people type them: «12а», «12 А», «12А», «д. 12а» are one house."""

import re

_PREFIX = re.compile(r"^(дом|д)\.?\s*", re.IGNORECASE)
_NOISE = re.compile(r"[\s.\-–—_\"«»']+")
# Latin letters that look like Cyrillic ones on a bill; people type either.
_LOOKALIKES = str.maketrans("abcehkmoptxy", "авсенкмортху")
_WORDS = {"корпус": "к", "корп": "к", "строение": "с", "стр": "с"}


def normalize_house(value: str) -> str:
    text = _PREFIX.sub("", value.strip().lower())
    for word, short in _WORDS.items():
        text = re.sub(rf"{word}\.?", short, text)
    text = text.replace("ё", "е").translate(_LOOKALIKES)
    return _NOISE.sub("", text)


def same_house(typed: str, registered: str) -> bool:
    return bool(typed.strip()) and normalize_house(typed) == normalize_house(registered)
