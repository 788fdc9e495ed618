"""The article cache on its own: splicing counts into cached JSON, revisions, and its byte budget."""
from __future__ import annotations

import json

from service.api.article_cache import ArticleCache, CachedArticle
from service.storage.changes import ARTICLES_CHANNEL
from tests.fakes import Listener


def dumped(article_id: int, claims: int, text: str = "x") -> dict:
    return {"id": article_id, "title": "T", "annotation_count": 9, "annotated_claims": 9,
            "claims": [{"id": article_id * 100 + i, "text": text, "annotation_count": 9, "flags": []}
                       for i in range(claims)]}


def test_render_fills_in_the_counts_it_is_given():
    entry = CachedArticle.build(3, '"r1.1"', dumped(1, 3))
    shown = json.loads(entry.render({100: 2, 102: 1, 999: 5}))
    assert shown == {"id": 1, "title": "T", "annotation_count": 3, "annotated_claims": 2,
                     "claims": [{"id": 100, "text": "x", "annotation_count": 2, "flags": []},
                                {"id": 101, "text": "x", "annotation_count": 0, "flags": []},
                                {"id": 102, "text": "x", "annotation_count": 1, "flags": []}]}


def test_an_article_without_claims_renders_an_empty_list():
    shown = json.loads(CachedArticle.build(1, '"r1.1"', dumped(1, 0)).render({}))
    assert shown["claims"] == [] and shown["annotation_count"] == 0 and shown["annotated_claims"] == 0


def test_a_different_revision_is_a_miss_and_an_older_build_never_replaces_a_newer():
    cache = ArticleCache(1 << 20)
    newer = cache.put(1, CachedArticle.build(5, "e", dumped(1, 2)))
    assert cache.get(1, 5) is newer and cache.get(1, 4) is None and cache.get(1, 6) is None
    assert cache.put(1, CachedArticle.build(4, "e", dumped(1, 2))) is newer
    assert cache.get(1, 5) is newer


def test_the_byte_budget_evicts_the_least_recently_read():
    one = CachedArticle.build(1, "e", dumped(1, 10, "y" * 100))
    cache = ArticleCache(one.size * 2 + one.size // 2)
    for article_id in (1, 2):
        cache.put(article_id, CachedArticle.build(1, "e", dumped(article_id, 10, "y" * 100)))
    assert cache.get(1, 1) is not None  # 1 is now the most recently read
    cache.put(3, CachedArticle.build(1, "e", dumped(3, 10, "y" * 100)))
    assert cache.get(2, 1) is None and cache.get(1, 1) is not None and cache.get(3, 1) is not None
    assert len(cache) == 2 and cache.bytes <= cache.max_bytes


def test_an_entry_over_the_budget_is_served_but_not_kept():
    cache = ArticleCache(100)
    big = CachedArticle.build(1, "e", dumped(1, 5, "z" * 200))
    assert cache.put(1, big) is big
    assert len(cache) == 0 and cache.bytes == 0


def _checked_cache(listener) -> tuple[ArticleCache, CachedArticle]:
    cache = ArticleCache(1 << 20, listener)
    entry = cache.put(1, CachedArticle.build(1, '"r1.1"', dumped(1, 2)))
    assert cache.checked(1, entry, {100: 3}, cache.generation) == entry.render({100: 3})
    return cache, entry


def test_a_checked_copy_is_current_until_any_article_changes():
    listener = Listener()
    cache, entry = _checked_cache(listener)
    assert cache.current(1) == (entry, entry.render({100: 3}))
    assert cache.current(2) is None
    listener.changed(ARTICLES_CHANNEL)
    assert cache.current(1) is None
    assert cache.get(1, 1) is entry, "the JSON stays; only the check is due again"


def test_a_check_that_a_change_overtook_does_not_make_the_copy_current():
    cache = ArticleCache(1 << 20, Listener())
    entry = cache.put(1, CachedArticle.build(1, '"r1.1"', dumped(1, 2)))
    generation = cache.generation  # a read checks the article...
    cache.changed()  # ...a write commits before the read records its check
    cache.checked(1, entry, {}, generation)
    assert cache.current(1) is None


def test_without_a_listener_or_while_it_is_down_every_read_is_checked():
    assert _checked_cache(None)[0].current(1) is None
    listener = Listener()
    cache, entry = _checked_cache(listener)
    listener.listening = False
    assert cache.current(1) is None
    listener.listening = True
    assert cache.current(1) == (entry, entry.render({100: 3}))


def test_a_new_build_or_an_eviction_drops_the_check():
    cache, _ = _checked_cache(Listener())
    cache.put(1, CachedArticle.build(2, '"r1.1"', dumped(1, 2)))
    assert cache.current(1) is None
    cache, entry = _checked_cache(Listener())
    cache.max_bytes = entry.size + 10
    cache.put(2, CachedArticle.build(1, '"r2.1"', dumped(2, 2)))  # evicts article 1
    cache.checked(1, entry, {}, cache.generation)  # too late: it is gone
    assert cache.current(1) is None
