"""pyld against the JSON-LD contexts bundled in tests/fixtures/jsonld: no test reaches the network."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pyld import jsonld

CONTEXTS = Path(__file__).parent / "fixtures" / "jsonld"
_LOCAL = {
    "http://www.w3.org/ns/anno.jsonld": "anno.jsonld",
    "https://schema.org": "schema.org.jsonld",
    "https://schema.org/": "schema.org.jsonld",
}


def load_document(url: str, options: dict | None = None) -> dict[str, Any]:
    """A pyld document loader that knows the bundled contexts and refuses every other URL."""
    if url not in _LOCAL:
        raise jsonld.JsonLdError(f"offline test refused to load {url}", "jsonld.LoadDocumentError",
                                 code="loading document failed")
    return {"contentType": "application/ld+json", "contextUrl": None, "documentUrl": url,
            "document": json.loads((CONTEXTS / _LOCAL[url]).read_text())}


OPTIONS = {"documentLoader": load_document}


def expand(document: dict[str, Any]) -> list[dict[str, Any]]:
    return jsonld.expand(document, OPTIONS)


def _normal(value: Any) -> Any:
    """Compaction turns one-item lists into the item; compare documents without that difference."""
    if isinstance(value, list):
        return _normal(value[0]) if len(value) == 1 else [_normal(v) for v in value]
    if isinstance(value, dict):
        return {k: _normal(v) for k, v in value.items()}
    return value


def assert_every_term_defined(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Expanding drops what the context does not define; compacting back must give the document again."""
    expanded = expand(document)
    assert expanded, "the document expanded to nothing"
    compacted = jsonld.compact(expanded, document["@context"], OPTIONS)
    assert _normal(compacted) == _normal(document)
    return expanded
