"""TokenCache on its own: what it serves, and what it refuses to keep."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from service.domain.access import Principal, Role, Scope
from service.services.token_cache import TokenCache
from tests.fakes import Listener

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
ED = Principal(1, "ed", Role.EDITOR, frozenset({Scope.READ, Scope.WRITE}), 7)


def test_it_serves_what_it_was_given_until_a_change():
    listener = Listener()
    cache = TokenCache(listener, max_age=60)
    cache.put("d1", ED, None, cache.generation)
    assert cache.get("d1", NOW) == ED and cache.get("d2", NOW) is None
    listener.changed()
    assert cache.get("d1", NOW) is None and len(cache) == 0


def test_a_lookup_that_a_change_overtook_is_not_kept():
    listener = Listener()
    cache = TokenCache(listener, max_age=60)
    generation = cache.generation  # a request reads the token row...
    listener.changed()  # ...the token is revoked and the notification lands before the request stores it
    cache.put("d1", ED, None, generation)
    assert cache.get("d1", NOW) is None


def test_nothing_is_served_or_kept_while_not_listening():
    listener = Listener()
    cache = TokenCache(listener, max_age=60)
    cache.put("d1", ED, None, cache.generation)
    listener.listening = False
    assert cache.get("d1", NOW) is None
    cache.put("d2", ED, None, cache.generation)
    listener.listening = True
    assert cache.get("d2", NOW) is None and cache.get("d1", NOW) == ED


def test_expired_tokens_and_stale_copies_are_dropped():
    cache = TokenCache(Listener(), max_age=60)
    cache.put("expiring", ED, NOW + timedelta(seconds=1), cache.generation)
    assert cache.get("expiring", NOW) == ED
    assert cache.get("expiring", NOW + timedelta(seconds=1)) is None
    stale = TokenCache(Listener(), max_age=0)
    stale.put("d1", ED, None, stale.generation)
    assert stale.get("d1", NOW) is None


def test_it_keeps_at_most_max_entries_dropping_the_least_recently_used():
    cache = TokenCache(Listener(), max_age=60, max_entries=2)
    for digest in ("a", "b"):
        cache.put(digest, ED, None, cache.generation)
    cache.get("a", NOW)
    cache.put("c", ED, None, cache.generation)
    assert [d for d in "abc" if cache.get(d, NOW)] == ["a", "c"]
