"""The flag-kind registry is exactly what detection produces, in names the desk can use as CSS classes."""
from __future__ import annotations

import re

from detection import detect
from service.domain import ALL_SUBTYPES, FLAG_SUBTYPES, FlagKind, flag_kinds
from tests.detection.test_version import SENTENCES


def test_detection_produces_exactly_the_registered_kinds_and_subtypes():
    produced = {(f.kind, f.subtype) for sentence in SENTENCES for f in detect(sentence)}
    assert produced == flag_kinds.pairs()


def test_the_domain_names_are_views_of_the_registry():
    assert [k.value for k in FlagKind] == list(flag_kinds.kind_names())
    assert FLAG_SUBTYPES == {k.name: k.subtypes for k in flag_kinds.KINDS}
    assert set(ALL_SUBTYPES) == {s for _, s in flag_kinds.pairs()} and len(set(ALL_SUBTYPES)) == len(ALL_SUBTYPES)


def test_kind_names_are_css_identifiers_and_underlines_tell_kinds_apart():
    for kind in flag_kinds.KINDS:
        assert re.fullmatch(r"[a-z][a-z0-9-]*", kind.name), kind.name
        assert kind.subtypes and all(re.fullmatch(r"[a-z][a-z0-9-]*", s) for s in kind.subtypes)
    underlines = [k.underline for k in flag_kinds.KINDS]
    assert len(set(underlines)) == len(underlines)
    assert set(underlines) <= {"solid", "double", "dotted", "dashed", "wavy"}
