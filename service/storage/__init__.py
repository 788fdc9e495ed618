"""Persistence: SQLAlchemy 2.0 models and session handling."""
from service.storage.accounts import ApiToken, User
from service.storage.db import Database, make_engine
from service.storage.history import HistoryEntry
from service.storage.models import Annotation, Article, Base, Claim, Flag
from service.storage.webhooks import Webhook, WebhookDelivery

__all__ = ["Annotation", "ApiToken", "Article", "Base", "Claim", "Database", "Flag", "HistoryEntry", "User",
           "Webhook", "WebhookDelivery", "make_engine"]
