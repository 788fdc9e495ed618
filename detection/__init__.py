"""Pure detection rules: clean article text, split it into claims, flag quotes, numbers and sourcing.

Standard library and small text libraries only: no Flask, Celery or database (a test proves it).
"""
from .claims import split_claims, split_sentences
from .cleaning import clean_html, clean_text
from .model import Claim, CleanArticle, Flag
from .pipeline import DETECTOR_VERSION, detect

__all__ = [
    "DETECTOR_VERSION",
    "Claim",
    "CleanArticle",
    "Flag",
    "clean_html",
    "clean_text",
    "detect",
    "split_claims",
    "split_sentences",
]
