"""Sentences and claims: where one ends, and which part of the article each claim is."""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from detection import Claim, clean_text, split_claims, split_sentences


def sentences(text: str) -> list[str]:
    return [text[start:end] for start, end in split_sentences(text)]


# --- sentences ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("The vote was close. The library stays open! Who pays?",
     ["The vote was close.", "The library stays open!", "Who pays?"]),
    ("Mr. Reed and Mrs. Lee met Dr. Khan at St. Mary's. Ms. Diaz joined them.",
     ["Mr. Reed and Mrs. Lee met Dr. Khan at St. Mary's.", "Ms. Diaz joined them."]),
    ("Gov. Hale, Sen. Ortiz and Rep. Byrne (R-Ohio) voted no. Prof. Amis did not.",
     ["Gov. Hale, Sen. Ortiz and Rep. Byrne (R-Ohio) voted no.", "Prof. Amis did not."]),
    ("George W. Bush and John F. Kennedy were both presidents. Neither spoke.",
     ["George W. Bush and John F. Kennedy were both presidents.", "Neither spoke."]),
    ("U.S. officials met U.K. envoys on Sept. 11 and Jan. 5. Talks failed.",
     ["U.S. officials met U.K. envoys on Sept. 11 and Jan. 5.", "Talks failed."]),
    ("The firm moved to the U.S. It grew fast.", ["The firm moved to the U.S.", "It grew fast."]),
    ("She joined Acme Inc. The firm grew. Then Acme Corp. Europe opened.",
     ["She joined Acme Inc.", "The firm grew.", "Then Acme Corp. Europe opened."]),
    ("It is No. 10 on the list. No. That is wrong.", ["It is No. 10 on the list.", "No.", "That is wrong."]),
    ("Fruit, e.g. apples, i.e. the red ones. Smith vs. Jones ended. Roe v. Wade stood.",
     ["Fruit, e.g. apples, i.e. the red ones.", "Smith vs. Jones ended.", "Roe v. Wade stood."]),
    ("Growth was 3.5 per cent. Costs hit $2.4bn. Version 2.0.1 shipped. Revenue fell 0.5%.",
     ["Growth was 3.5 per cent.", "Costs hit $2.4bn.", "Version 2.0.1 shipped.", "Revenue fell 0.5%."]),
    ("He paused... Then he left. She waited… And waited.",
     ["He paused...", "Then he left.", "She waited…", "And waited."]),
    ('He said: "We lost a lot. It is a blow for us." Then he left.',
     ['He said: "We lost a lot.', 'It is a blow for us."', "Then he left."]),
    ("“We lost,” he said. “It hurts.” She agreed.", ["“We lost,” he said.", "“It hurts.”", "She agreed."]),
    ('"Really?" he asked. "Yes!" she said.', ['"Really?" he asked.', '"Yes!" she said.']),
    ("They called it 'a blow'. The rest was 'noise.' Nobody agreed.",
     ["They called it 'a blow'.", "The rest was 'noise.'", "Nobody agreed."]),
    ("The mayor (who was re-elected in May.) spoke. It rained.",
     ["The mayor (who was re-elected in May.) spoke.", "It rained."]),
    ("Turnout was 41%. 2,300 people voted.", ["Turnout was 41%.", "2,300 people voted."]),
    ("1. Cut the hours\n2. Close on Sundays", ["1. Cut the hours", "2. Close on Sundays"]),
    ("Plans, etc. The rest came later.", ["Plans, etc.", "The rest came later."]),
    ("It ended at 5 p.m. on Friday. Then at 6 p.m. The doors shut.",
     ["It ended at 5 p.m. on Friday.", "Then at 6 p.m.", "The doors shut."]),
])
def test_split_sentences(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


def test_split_sentences_never_crosses_a_line_break() -> None:
    text = "Headline without a stop\n\nA first paragraph with no end\nThe next line.\n\n  Indented one.  "

    assert split_sentences(text) == [(0, 23), (25, 54), (55, 69), (73, 86)]
    assert sentences(text) == [
        "Headline without a stop", "A first paragraph with no end", "The next line.", "Indented one.",
    ]


def test_split_sentences_of_white_space_is_empty() -> None:
    assert split_sentences("") == []
    assert split_sentences(" \n\n\t ") == []


def test_split_sentences_is_fast() -> None:
    paragraph = ('Mr. Reed said the U.S. firm, Acme Inc., would pay $2.4bn. "It is a good day," he added. '
                 "Costs rose 3.5% in Jan. 2024! Was it worth it? Nobody knows...\n\n")
    text = paragraph * 20_000

    started = time.perf_counter()
    spans = split_sentences(text)
    elapsed = time.perf_counter() - started

    assert len(spans) == 5 * 20_000
    # The target is 5 million characters a second; this bound only catches a slide into per-character work.
    assert len(text) / elapsed > 1_000_000


# --- claims ------------------------------------------------------------------------------------------

ARTICLE = (
    "Library Saved: Council Votes 7-2, Reserves To Pay\n\n"
    "Councillors backed the reading room after hearing from residents\n\n"
    "The council voted on Monday. Mrs. Lee said reserves would pay.\n\n"
    '"We listened," she said.'
)


def test_split_claims_with_title() -> None:
    claims = split_claims(ARTICLE, "Library Saved: Council Votes 7-2, Reserves To Pay")

    assert claims == [
        Claim(0, 49, "Library Saved: Council Votes 7-2, Reserves To Pay", "headline"),
        Claim(51, 115, "Councillors backed the reading room after hearing from residents", "standfirst"),
        Claim(117, 145, "The council voted on Monday.", "body"),
        Claim(146, 179, "Mrs. Lee said reserves would pay.", "body"),
        Claim(181, 205, '"We listened," she said.', "body"),
    ]


def test_split_claims_without_title_finds_the_headline_by_its_shape() -> None:
    assert [c.role for c in split_claims(ARTICLE)] == ["headline", "standfirst", "body", "body", "body"]


def test_split_claims_headline_is_one_claim_despite_its_punctuation() -> None:
    body = "Vote Held. Library Saved? Not Quite!\n\nThe council voted on Monday."

    claims = split_claims(body, "Vote Held. Library Saved? Not Quite!")

    assert [(c.text, c.role) for c in claims] == [
        ("Vote Held. Library Saved? Not Quite!", "headline"),
        ("The council voted on Monday.", "body"),
    ]


def test_split_claims_other_title_means_no_headline() -> None:
    claims = split_claims(ARTICLE, "Something else")

    assert [c.role for c in claims] == ["body"] * 5
    assert claims[0].text == "Library Saved: Council Votes 7-2, Reserves To Pay"


def test_split_claims_first_sentence_with_a_full_stop_is_body() -> None:
    body = "The council voted on Monday.\n\nMrs. Lee said reserves would pay."

    assert [(c.text, c.role) for c in split_claims(body)] == [
        ("The council voted on Monday.", "body"),
        ("Mrs. Lee said reserves would pay.", "body"),
    ]


def test_split_claims_punctuated_second_paragraph_is_body() -> None:
    body = "Library Saved\n\nThe council voted on Monday. Reserves will pay.\n\nIt was close."

    assert [(c.text, c.role) for c in split_claims(body)] == [
        ("Library Saved", "headline"),
        ("The council voted on Monday.", "body"),
        ("Reserves will pay.", "body"),
        ("It was close.", "body"),
    ]


def test_split_claims_single_unpunctuated_paragraph_is_body() -> None:
    assert split_claims("Reserves will pay for the library") == [
        Claim(0, 33, "Reserves will pay for the library", "body"),
    ]


def test_split_claims_of_nothing() -> None:
    assert split_claims("") == []
    assert split_claims("", "A title") == []


def test_split_claims_offsets_index_the_body() -> None:
    body = "  Library Saved  \n\n\nThe council voted.\nIt was close.  \n\n“We listened.” She smiled. "

    claims = split_claims(body)

    assert [c.text for c in claims] == [
        "Library Saved", "The council voted.", "It was close.", "“We listened.”", "She smiled.",
    ]
    assert all(body[c.start:c.end] == c.text for c in claims)


# --- the seed article ----------------------------------------------------------------------------------


def test_seed_claims_are_the_gold_sentences(shared_dir: Path) -> None:
    raw = (shared_dir / "seed/000_f7a6ae565c320a86.txt").read_text(encoding="utf-8")
    gold = json.loads((shared_dir / "eval/seed.gold.json").read_text(encoding="utf-8"))["text"]
    headline, standfirst, *paragraphs = gold.split("\n\n")
    article = clean_text(raw)

    claims = split_claims(article.body, article.title)

    assert [(c.role, c.text) for c in claims[:2]] == [("headline", headline), ("standfirst", standfirst)]
    assert {c.role for c in claims[2:]} == {"body"}
    assert all(article.body[c.start:c.end] == c.text for c in claims)
    expected = [s for p in paragraphs for s in sentences(p)]
    assert [c.text for c in claims[2:]] == expected
    # A paragraph with a quote of two sentences is the one place the seed splits a paragraph.
    assert len(expected) == len(paragraphs) + 1
    assert len(claims) == 23
