"""The services' one door to the pure `detection` package: cleaning and splitting articles, flagging text.

Nothing else in `service` imports `detection` (tests/test_import_direction.py checks it). Light on
purpose: `claimdesk flag` imports it and must start without the database or web stack.
"""
from __future__ import annotations

from detection import (
    DETECTOR_VERSION,
    Claim,
    CleanArticle,
    Flag,
    clean_html,
    clean_text,
    detect,
    split_claims,
)

__all__ = ["DETECTOR_VERSION", "Flag", "clean_article", "detect_flags", "split_article"]


def clean_article(html: str | None, body: str | None, url: str | None = None,
                  title: str | None = None) -> tuple[CleanArticle, str]:
    """The article's text cleaned from `html` when given, else from `body`, and which one it was."""
    if html is not None:
        cleaned = clean_html(html, url)
        if title and not cleaned.body.startswith(title):
            cleaned = clean_text(cleaned.body, title=title)
        return cleaned, "html"
    return clean_text(body or "", title=title), "text"


def split_article(body: str, title: str | None) -> list[Claim]:
    """The claims of a cleaned body in reading order (headline, standfirst, sentences), offsets into it."""
    return split_claims(body, title)


def detect_flags(text: str) -> list[Flag]:
    """The flags of the running detector version (DETECTOR_VERSION) over `text`, offsets into it."""
    return detect(text)
