"""Flag kinds reach the desk from the registry: a new kind is listed, styled and counted with no static edit."""
from __future__ import annotations

import json
import re
from pathlib import Path

from service.domain import flag_kinds
from service.domain.flag_kinds import FlagKindSpec

WEB = Path(__file__).resolve().parents[2] / "service" / "web"
HEDGE = FlagKindSpec("hedge", ("weasel",), "hedges", "#009e73", "rgba(0, 158, 115, 0.2)", "dotted", "~")


def _page_kinds(html: str) -> list[dict]:
    return json.loads(re.search(r'<script type="application/json" id="flag-kinds">(.*?)</script>', html,
                                re.S).group(1))


def test_a_kind_added_to_the_registry_is_shown_and_styled(monkeypatch, browser, add_article):
    monkeypatch.setattr(flag_kinds, "KINDS", (*flag_kinds.KINDS, HEDGE))
    article_id = add_article("Officials said prices rose.", words={"Officials said": ("hedge", "weasel", {})})

    html = browser.get(f"/articles/{article_id}").get_data(as_text=True)
    assert '<input type="checkbox" class="kind-toggle" value="hedge" checked>' in html
    assert '<mark class="flag f-hedge"' in html and 'class="kind-icon k-hedge"' in html
    assert "hedges: dotted" in html  # the legend's hint
    assert {"name": "hedge", "plural": "hedges", "subtypes": ["weasel"]} in _page_kinds(html)
    queue = browser.get("/").get_data(as_text=True)
    assert '<option value="hedge"' in queue and "hedge" in [k["name"] for k in _page_kinds(queue)]

    response = browser.get("/desk/flag-kinds.css")
    assert response.status_code == 200 and response.mimetype == "text/css"
    css = response.get_data(as_text=True)
    assert "--flag-hedge: #009e73;" in css and "--flag-hedge-bg: rgba(0, 158, 115, 0.2);" in css
    assert "underline dotted var(--flag-hedge)" in css and ".hide-hedge mark.f-hedge" in css
    assert '.k-hedge::before { content: "~"; }' in css


def test_the_stylesheet_covers_every_kind_and_is_served_conditionally(app, browser):
    response = browser.get("/desk/flag-kinds.css")
    css = response.get_data(as_text=True)
    for kind in flag_kinds.KINDS:
        assert f"mark.f-{kind.name} {{" in css and f"--flag-{kind.name}: {kind.colour};" in css
    # Every page links it, the login page too (where no one is logged in yet).
    assert 'href="/desk/flag-kinds.css"' in app.test_client().get("/login").get_data(as_text=True)
    again = browser.get("/desk/flag-kinds.css", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_no_template_stylesheet_or_script_names_a_kind():
    # Kinds come from the server; a name written into a static file would be a second list.
    names = "|".join(flag_kinds.kind_names())
    for path in sorted((WEB / "templates").rglob("*.html")) + sorted((WEB / "static").rglob("*.*")):
        found = re.findall(rf"(?<![\w-])(?:{names})(?![\w-])", path.read_text(encoding="utf-8"))
        assert not found, (path.name, found)
