"""GET /articles/{id} from the per-process cache: after every kind of change it answers exactly what an
app without the cache answers from the same database."""
from __future__ import annotations

import pytest

from service.services.flagging import flag_article
from tests.api.conftest import BODY, bearer_client, post_article, signed_in
from tests.fakes import KeywordDetector


@pytest.fixture
def pair(make_app, queue):
    """Two apps on one database: `cached` (the default) and `plain` (CLAIMDESK_ARTICLE_CACHE_MB=0)."""
    cached = make_app(queue=queue)
    plain = make_app({"CLAIMDESK_ARTICLE_CACHE_MB": "0"}, queue=queue, migrate=False)
    return cached, plain


def test_every_change_shows_at_once_and_matches_the_uncached_answer(pair):
    cached_app, plain_app = pair
    cache = cached_app.extensions["claimdesk"].article_cache
    editor = signed_in(cached_app)
    plain = bearer_client(plain_app, editor.environ_base["HTTP_AUTHORIZATION"].removeprefix("Bearer "))
    article = post_article(editor, BODY + " Peskov added that 40 percent agreed.")
    url = f"/api/v1/articles/{article['id']}"
    first, second = article["claims"][0]["id"], article["claims"][1]["id"]

    def read(expect_cached: bool = True) -> dict:
        hits_before = len(cache)
        response, reference = editor.get(url), plain.get(url)
        assert response.status_code == reference.status_code == 200
        assert response.mimetype == "application/json"
        assert response.headers["ETag"] == reference.headers["ETag"]
        assert response.get_json() == reference.get_json()
        assert len(cache) == max(hits_before, 1)
        return response.get_json()

    assert read()["claims"][0]["annotation_count"] == 0
    assert len(plain_app.extensions["claimdesk"].article_cache) == 0, "a zero budget caches nothing"
    built = cache._entries[article["id"]]
    read()
    assert cache._entries[article["id"]] is built, "an unchanged article is served from the cache"

    made = [editor.post(f"/api/v1/claims/{claim}/annotations", json={"verdict": "accurate"})
            for claim in (first, first, second)]
    assert all(r.status_code == 201 for r in made)
    shown = read()
    assert cache._entries[article["id"]] is built, "annotations change only the counts, read live"
    assert [c["annotation_count"] for c in shown["claims"][:2]] == [2, 1]
    assert shown["annotation_count"] == 3 and shown["annotated_claims"] == 2

    assert editor.delete(made[2].headers["Location"], headers={"If-Match": made[2].headers["ETag"]}) \
        .status_code == 204
    shown = read()
    assert shown["annotation_count"] == 2 and shown["annotated_claims"] == 1
    assert editor.post(made[2].headers["Location"] + "/restore").status_code == 200
    assert read()["annotated_claims"] == 2

    with cached_app.extensions["claimdesk"].database.sessionmaker() as session:
        flag_article(session, article["id"], detector=KeywordDetector({"Peskov": ("sourcing", "named")}),
                     version="test-1")
    shown = read()
    assert cache._entries[article["id"]] is not built, "flagging changed the article's revision"
    assert shown["status"] == "flagged" and shown["flag_counts"] == {"sourcing": 2}
    with cached_app.extensions["claimdesk"].database.sessionmaker() as session:
        flag_article(session, article["id"], detector=KeywordDetector({"percent": ("number", "percent")}),
                     version="test-2")
    shown = read()
    assert shown["detector_version"] == "test-2" and shown["flag_counts"] == {"number": 2}

    etag = editor.get(url).headers["ETag"]
    assert editor.put(f"{url}/review-status", json={"status": "in-review"},
                      headers={"If-Match": etag}).status_code == 200
    assert read()["review_status"] == "in-review"
    assert editor.get(url).headers["ETag"] != etag

    assert editor.delete(url).status_code == 204
    assert editor.get(url).status_code == plain.get(url).status_code == 404


def test_text_outside_ascii_and_json_specials_survive_the_cache(pair):
    cached_app, plain_app = pair
    editor = signed_in(cached_app)
    body = 'Le ministre a dit « 40 % » — "vraiment" \\ 東京 😀.\n\nSecond paragraph, with a tab\there.'
    article = post_article(editor, body, title='A "quoted" title \u2028 with a separator')
    url = f"/api/v1/articles/{article['id']}"
    editor.get(url)
    cached = editor.get(url)
    plain = bearer_client(plain_app, editor.environ_base["HTTP_AUTHORIZATION"].removeprefix("Bearer "))
    assert cached.get_json() == plain.get(url).get_json()
    assert cached.get_json()["body"] == article["body"]


def test_an_unknown_article_is_404_and_caches_nothing(pair):
    cached_app, _ = pair
    editor = signed_in(cached_app)
    response = editor.get("/api/v1/articles/999")
    assert response.status_code == 404 and response.mimetype == "application/problem+json"
    assert len(cached_app.extensions["claimdesk"].article_cache) == 0
