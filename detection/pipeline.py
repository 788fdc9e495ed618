"""The one place the detectors are put together, and the version stored with every flag."""
from __future__ import annotations

from .attribution import find_quotes_and_sourcing
from .model import Flag
from .numbers import find_numbers

# Bump whenever any detector's output changes (tests/detection/test_version.py guards it), so a
# stored flag always says which rules made it.
DETECTOR_VERSION = "1.1.0"


def detect(text: str) -> list[Flag]:
    """Every quote, number and sourcing flag in ``text``, offsets into ``text``, in reading order."""
    quotes, sourcing = find_quotes_and_sourcing(text)
    flags = [*quotes, *find_numbers(text), *sourcing]
    flags.sort(key=lambda f: (f.start, f.end, f.kind))
    return flags
