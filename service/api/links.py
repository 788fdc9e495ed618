"""OpenAPI links: where an answer's id (or ETag) is what another operation takes, for clients and for
stateful testing (schemathesis follows them from one call to the next)."""
from __future__ import annotations

import re
from typing import Any

from service.api import API_PREFIX

BODY_ID = "$response.body#/id"
ETAG = "$response.header.ETag"


def _name(method: str, path: str) -> str:
    """`GET /articles/{article_id}/claims` -> `GetArticleClaims` (link names allow [A-Za-z0-9._-])."""
    words = [w for w in re.split(r"[^a-z]+", re.sub(r"\{[a-z_]+\}", "", path)) if w]
    return method.title() + "".join(w.title() for w in words)


def links(status: int, *targets: tuple[str, str, dict[str, str]]) -> dict[str, Any]:
    """`blp.doc` arguments: the answer with `status` links to each (method, path under /api/v1, parameters),
    its parameters given as runtime expressions (`{"article_id": BODY_ID}`)."""
    documented = {}
    for method, path, parameters in targets:
        pointer = (API_PREFIX + path).replace("~", "~0").replace("/", "~1")
        documented[_name(method, path)] = {"operationRef": f"#/paths/{pointer}/{method.lower()}",
                                           "parameters": parameters}
    return {"responses": {status: {"links": documented}}}  # an int, as flask-smorest keys its own
