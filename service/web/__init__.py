"""The reviewer's desk: server-rendered pages (blueprint "web") with small scripts served by the app."""
from service.web.views import bp

__all__ = ["bp"]
