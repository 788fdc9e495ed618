"""Persistence: SQLAlchemy 2.0 models and session handling."""
from service.storage.db import Database, make_engine
from service.storage.models import Annotation, Article, Base, Claim, Flag

__all__ = ["Annotation", "Article", "Base", "Claim", "Database", "Flag", "make_engine"]
