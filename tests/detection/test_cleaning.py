"""Cleaning keeps an article's own paragraphs and drops the page around them."""
from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from detection import clean_html, clean_text, split_claims

SEED = "seed/000_f7a6ae565c320a86.txt"


# --- the seed article ----------------------------------------------------------------------------------


def _seed(shared_dir: Path) -> tuple[str, str]:
    raw = (shared_dir / SEED).read_text(encoding="utf-8")
    gold = json.loads((shared_dir / "eval/seed.gold.json").read_text(encoding="utf-8"))["text"]
    return raw, gold


def test_seed_cleans_to_the_hand_cleaned_body(shared_dir: Path) -> None:
    raw, gold = _seed(shared_dir)

    article = clean_text(raw)

    assert article.body == gold
    assert article.title == gold.split("\n\n")[0]


def test_seed_claims_carry_no_page_furniture(shared_dir: Path) -> None:
    raw, gold = _seed(shared_dir)
    article = clean_text(raw)

    claims = split_claims(article.body, article.title)

    # Every line of the page that the hand-cleaned body leaves out (menu, adverts, captions, byline, bio,
    # related stories) is absent from every claim.
    lines = {line.strip(" •") for line in raw.splitlines()}
    dropped = {line for line in lines if line and line not in gold}
    assert len(dropped) > 40
    for claim in claims:
        assert not any(line in claim.text for line in dropped if len(line) > 12), claim.text
        assert claim.text not in dropped
        assert "Advert" not in claim.text


def test_seed_a_changed_title_still_leads_the_body(shared_dir: Path) -> None:
    raw, gold = _seed(shared_dir)
    headline = gold.split("\n\n")[0]

    article = clean_text(raw, title=headline)

    assert article.body == gold
    assert article.title == headline


def test_polnear_texts_pass_through_almost_untouched(shared_dir: Path) -> None:
    rows = [json.loads(line) for line in (shared_dir / "eval/polnear-dev.jsonl").open(encoding="utf-8")]
    kept_chars = total_chars = 0
    for row in rows:
        text = re.sub("[\u200b\ufeff]", "", row["text"])
        source = [" ".join(p.split()) for p in text.split("\n") if p.strip()]
        cleaned = clean_text(text).body.split("\n\n")
        # Cleaning only drops whole paragraphs of already clean text, in order.
        it = iter(source)
        assert all(any(p == q for q in it) for p in cleaned), row["id"]
        kept_chars += sum(map(len, cleaned))
        total_chars += sum(map(len, source))
    assert kept_chars / total_chars > 0.99


# --- plain text --------------------------------------------------------------------------------------

PLAIN = (
    "Town votes to keep its library open.\n\n"
    "The council voted 7-2 on Monday to keep the library open for another year.\n\n"
    "It was close.\n\n"
    "Mrs. Lee, who chairs the finance committee, said the money would come from reserves."
)


def test_clean_text_passes_plain_text_through() -> None:
    article = clean_text(PLAIN)

    assert article.body == PLAIN
    assert article.title is None


def test_clean_text_normalises_white_space_only() -> None:
    raw = ("\ufeffTown votes\u00a0to keep its library open.\r\n\r\n"
           "The council\tvoted 7-2 on Monday to keep the library\u200b open for another year.  \r\n\r\n\r\n"
           "  It was close.\r\n\r\n"
           "Mrs. Lee, who chairs the finance committee, said the money would come from reserves.\r\n")

    assert clean_text(raw).body == PLAIN


def test_clean_text_single_newlines_separate_paragraphs() -> None:
    assert clean_text(PLAIN.replace("\n\n", "\n")).body == PLAIN


def test_clean_text_joins_hard_wrapped_lines() -> None:
    raw = ("The council voted 7-2 on Monday to keep the library\n"
           "open for another year, after a long\n"
           "debate.\n\n"
           "It was close.")

    assert clean_text(raw).body == (
        "The council voted 7-2 on Monday to keep the library open for another year, after a long debate.\n\n"
        "It was close."
    )


def test_clean_text_keeps_typography() -> None:
    raw = "“We will not close it,” she said – and she meant it.\n\nIt’s ‘final’, he said…"

    assert clean_text(raw).body == raw


def test_clean_text_of_nothing_is_empty() -> None:
    assert clean_text("") == clean_text(" \n\t\n\u200b ")
    assert clean_text("").body == ""
    assert clean_text("").title is None


# --- a pasted page -----------------------------------------------------------------------------------

PAGE = """\
  • News
  • Sport
  • Weather
  • Local Life
Facebook
Instagram
X
Submit Your Content
Library Saved After Late-Night Vote

Home> News> Local

Published 21:15 4 Mar 2024 GMT

Library Saved After Late-Night Vote

Councillors backed the reading room after hearing from more than 200 residents

Jane Ortega

Jane Ortega

The council voted 7-2 on Monday to keep the library open for another year.

Advert

Mrs. Lee said the money would come from reserves.
Riverside TV

The reading room was opened in 1902 by the town's first mayor.

Readers at the library on Monday (Getty Images)
Readers at the library on Monday (Getty Images)

Advertisement

It was close.

"We listened," said Mrs. Lee.

To support the library's appeal, click here for details

Featured Image Credit: Getty Images

Topics: Libraries, Council, Local News

Jane Ortega
Jane Ortega

Jane Ortega is the Local Democracy Reporter, covering the council. She has worked in the town for ten years.

@janeortega

  • Bakery Wins Regional Award
  • School Roof Repairs Finished Early
"""

PAGE_BODY = (
    "Library Saved After Late-Night Vote\n\n"
    "Councillors backed the reading room after hearing from more than 200 residents\n\n"
    "The council voted 7-2 on Monday to keep the library open for another year.\n\n"
    "Mrs. Lee said the money would come from reserves.\n\n"
    "The reading room was opened in 1902 by the town's first mayor.\n\n"
    "It was close.\n\n"
    '"We listened," said Mrs. Lee.'
)


def test_clean_text_drops_the_page_around_the_article() -> None:
    article = clean_text(PAGE)

    assert article.body == PAGE_BODY
    assert article.title == "Library Saved After Late-Night Vote"


def test_clean_text_with_title_drops_the_masthead_above_it() -> None:
    article = clean_text(PAGE, title="Library  Saved After Late-Night Vote")

    assert article.body == PAGE_BODY
    assert article.title == "Library Saved After Late-Night Vote"


def test_clean_text_puts_a_missing_title_first() -> None:
    article = clean_text(PLAIN.split("\n\n", 1)[1], title="Library stays open")

    assert article.body == "Library stays open\n\n" + PLAIN.split("\n\n", 1)[1]
    assert article.title == "Library stays open"


def test_clean_text_does_not_repeat_a_title_the_text_starts_with() -> None:
    article = clean_text(PLAIN, title="Town votes to keep its library open.")

    assert article.body == PLAIN
    assert article.title == "Town votes to keep its library open."


BROADCASTER_PASTE = """Skip to content
Riverside Broadcasting Company
Home
News
Sport
Weather

Ferry firm fined £3m over harbour crash

3 hours ago
Share
Save
Alice Marsh
Business reporter, Riverside News

Image source, Getty Images
Image caption, The ferry hit the harbour wall in high winds
A ferry firm has been fined £3m after one of its ships hit a harbour wall in 2022.

Judge Emma Price said the crash was "entirely avoidable".

Related topics
Shipping
Dover
More on this story
Ferry hits harbour wall in storm
Published
2 March 2022
"""

NEWSPAPER_PASTE = """Ferries
Ferry firm fined £3m over harbour crash
Judge says collision that injured 12 passengers was entirely avoidable
Alice Marsh
Mon 4 Mar 2024 08.40 GMT
Share

A ferry firm has been fined £3m after one of its ships hit a harbour wall in 2022.

The ferry in the harbour. Photograph: Jane Doe/Riverside Post
Judge Emma Price said: “This was entirely avoidable.”

Explore more on these topics
Ferries
Share
Reuse this content
"""


@pytest.mark.parametrize("raw", [PAGE, PLAIN, PAGE.replace("\n", "\r\n")])
def test_clean_text_of_a_stored_body_changes_nothing(raw: str) -> None:
    article = clean_text(raw)

    assert clean_text(article.body, article.title) == article


@pytest.mark.parametrize(("raw", "body"), [
    (BROADCASTER_PASTE,
     "Ferry firm fined £3m over harbour crash\n\n"
     "A ferry firm has been fined £3m after one of its ships hit a harbour wall in 2022.\n\n"
     'Judge Emma Price said the crash was "entirely avoidable".'),
    (NEWSPAPER_PASTE,
     "Ferry firm fined £3m over harbour crash\n\n"
     "Judge says collision that injured 12 passengers was entirely avoidable\n\n"
     "A ferry firm has been fined £3m after one of its ships hit a harbour wall in 2022.\n\n"
     "Judge Emma Price said: “This was entirely avoidable.”"),
])
def test_clean_text_finds_the_headline_below_a_masthead(raw: str, body: str) -> None:
    article = clean_text(raw)

    assert article.title == "Ferry firm fined £3m over harbour crash"
    assert article.body == body


def test_clean_text_drops_wire_service_furniture() -> None:
    raw = ("By Alice Marsh, Riverside Wire\n4 minute read\nUpdated 10:02 AM EST, Mon March 4, 2024\n\n"
           "DOVER, England (Riverside Wire) — A ferry firm was fined $3.8 million on Monday.\n"
           "The firm admitted breaching safety rules.\n"
           "Riverside Wire writer Bob Lee in London contributed to this report.\n"
           "Copyright 2024 Riverside Wire. All rights reserved. This material may not be published.\n")

    assert clean_text(raw).body == (
        "DOVER, England (Riverside Wire) — A ferry firm was fined $3.8 million on Monday.\n\n"
        "The firm admitted breaching safety rules."
    )


@pytest.mark.parametrize("junk", [
    "Advertisement",
    "ADVERT",
    "Story continues below advertisement",
    "Share this article",
    "Follow us on Instagram for more local news",
    "Follow @janeortega on X",
    "Sign up for our morning newsletter",
    "Updated 10:02 BST, 5 March 2024",
    "4 March 2024",
    "25 mins ago",
    "5 min read",
    "By Jane Ortega",
    "By Jane Ortega and Sam Hill, Local Democracy Reporters",
    "Image caption, Readers queued from early morning",
    "Readers queued from early morning. Photograph: Jane Ortega/The Riverside Post",
    "Readers queued from early morning (AP Photo/Jane Ortega)",
    "Photo credit: Jane Ortega",
    "Tags: library, council",
    "Editor's note: this story has been updated.",
    "(Reporting by Jane Ortega; Editing by Sam Hill)",
    "© 2024 Riverside Post. All rights reserved.",
    "Home > News > Local",
    "https://example.org/library",
])
def test_clean_text_drops_furniture_lines(junk: str) -> None:
    raw = f"The council voted on Monday.\n\n{junk}\n\nThe library will stay open."

    assert clean_text(raw).body == "The council voted on Monday.\n\nThe library will stay open."


@pytest.mark.parametrize("line", [
    "No.",
    "It was close.",
    "By Monday, the plan had been approved by all seven members.",
    "Follow the money, Mrs. Lee told the meeting.",
    "The Budget Gap",
    "Share prices in the town's water company fell 3% after the vote.",
    "Readers queued from early morning (about 40 of them).",
])
def test_clean_text_keeps_short_and_tricky_body_lines(line: str) -> None:
    raw = f"The council voted on Monday.\n\n{line}\n\nThe library will stay open."

    assert clean_text(raw).body == raw


def test_clean_text_drops_a_label_glued_under_a_paragraph_but_keeps_a_subheading() -> None:
    raw = ("Mrs. Lee spoke to reporters after the vote.\nRiverside TV\n\n"
           "The Budget Gap\n\n"
           "Reserves will cover the shortfall.")

    assert clean_text(raw).body == (
        "Mrs. Lee spoke to reporters after the vote.\n\nThe Budget Gap\n\nReserves will cover the shortfall."
    )


def test_clean_text_keeps_bulleted_points_and_drops_bulleted_links() -> None:
    raw = ("The plan has three parts.\n\n"
           "• Opening hours will be cut by ten hours a week.\n"
           "• Two posts will go.\n"
           "• Visit Our Shop\n\n"
           "The vote was final.")

    assert clean_text(raw).body == (
        "The plan has three parts.\n\n"
        "Opening hours will be cut by ten hours a week.\n\n"
        "Two posts will go.\n\n"
        "The vote was final."
    )


def test_clean_text_keeps_short_points_under_a_key_points_heading_and_drops_the_heading() -> None:
    # Short and unpunctuated, these would read as menu entries; under "Key points" they are claims.
    raw = ("• News\n• Politics\n\n"
           "Live: Chancellor unveils £9bn tax rise\n\n"
           "Key points\n"
           "• Income tax thresholds frozen until 2030\n"
           "• £9bn raised from higher-rate taxpayers\n\n"
           "14:32\n\n"
           "The chancellor told MPs the measures were fair.\n\n"
           "• Share on Facebook")

    assert clean_text(raw).body == (
        "Live: Chancellor unveils £9bn tax rise\n\n"
        "Income tax thresholds frozen until 2030\n\n"
        "£9bn raised from higher-rate taxpayers\n\n"
        "The chancellor told MPs the measures were fair."
    )


def test_clean_text_drops_link_lists_after_an_end_heading() -> None:
    raw = ("The library will stay open.\n\n"
           "Most read\n\n"
           "Bakery Wins Regional Award\n\n"
           "School roof repairs finished early\n\n"
           "A second vote on the museum budget, which was postponed in January, will be held next month.")

    assert clean_text(raw).body == (
        "The library will stay open.\n\n"
        "A second vote on the museum budget, which was postponed in January, will be held next month."
    )


def test_clean_text_drops_the_headlines_under_read_more_but_not_the_short_paragraph_after_them() -> None:
    raw = ("The library will stay open.\n\n"
           "Read more:\n\n"
           "Reeves under pressure as growth stalls\n\n"
           "Inflation rises to 3.6% in shock jump\n\n"
           "The motion passed by 41 votes to 19.\n\n"
           "Funding gap\n\n"
           "A second vote will be held next month.")

    assert clean_text(raw).body == (
        "The library will stay open.\n\n"
        "The motion passed by 41 votes to 19.\n\n"
        "Funding gap\n\n"
        "A second vote will be held next month."
    )


def test_clean_text_cuts_at_about_the_author() -> None:
    raw = ("The library will stay open.\n\n"
           "About the author\n\n"
           "Jane Ortega has reported on the council for ten years and lives above the library she writes "
           "about so often.\n\n"
           "Bakery Wins Regional Award")

    assert clean_text(raw).body == "The library will stay open."


def test_clean_text_keeps_one_copy_of_a_long_paragraph_pasted_twice() -> None:
    long = ("The council voted 7-2 on Monday to keep the library open for another year, after a debate "
            "that ran past midnight and heard from residents, staff, two former mayors and the head of the "
            "county's library service.")
    raw = f"{long}\n\n{long}\n\nIt was close."

    assert clean_text(raw).body == f"{long}\n\nIt was close."


def test_clean_text_is_linear_on_huge_input() -> None:
    raw = "Menu\n" * 50_000 + "Word\n" * 50_000 + PLAIN * 200

    started = time.perf_counter()
    clean_text(raw)

    assert time.perf_counter() - started < 5


# --- HTML --------------------------------------------------------------------------------------------

HTML_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Harbour Council Approves New Ferry Route | The Coastal Gazette</title>
  <script>window.dataLayer = [{"page": "article"}]; function track() { return "Click here"; }</script>
  <style>.nav { color: red; }</style>
</head>
<body>
  <header>
    <nav><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li><li><a href="/sport">Sport</a></li>
    <li><a href="/weather">Weather</a></li></ul></nav>
  </header>
  <main>
    <article>
      <h1>Harbour Council Approves New Ferry Route</h1>
      <p class="standfirst">Councillors backed the plan after a two-hour debate on Tuesday night</p>
      <p class="byline">By Alice Marsh</p>
      <p>The harbour council voted on Tuesday to approve a new ferry route between the old pier and the
      island.</p>
      <p>Councillor Tom Reed said the service would run every hour from May. "It is a good day for the
      town," he added.</p>
      <div class="advert">Advertisement</div>
      <p>Critics said the cost, put at £2.4m, had not been explained to residents.</p>
      <figure><img src="ferry.jpg" alt="The old pier">
        <figcaption>The old pier at dawn (Alamy)</figcaption></figure>
      <p>The first crossing is planned for the spring, the council said.</p>
    </article>
    <aside><h2>Most read</h2><ul><li><a href="/a">Dog rescued from cliff</a></li>
    <li><a href="/b">Bakery wins award</a></li></ul></aside>
  </main>
  <footer><p>© 2024 The Coastal Gazette. All rights reserved.</p><a href="/privacy">Privacy</a></footer>
</body>
</html>
"""


def test_clean_html_keeps_the_article_only() -> None:
    article = clean_html(HTML_PAGE, url="https://gazette.example/news/ferry")

    assert article.title == "Harbour Council Approves New Ferry Route"
    assert article.body == (
        "Harbour Council Approves New Ferry Route\n\n"
        "Councillors backed the plan after a two-hour debate on Tuesday night\n\n"
        "The harbour council voted on Tuesday to approve a new ferry route between the old pier and the "
        "island.\n\n"
        'Councillor Tom Reed said the service would run every hour from May. "It is a good day for the '
        'town," he added.\n\n'
        "Critics said the cost, put at £2.4m, had not been explained to residents.\n\n"
        "The first crossing is planned for the spring, the council said."
    )


@pytest.mark.parametrize("garbage", [
    "",
    "   \n ",
    "not html at all",
    "<html><body></body></html>",
    "<html><body><nav><a href='/'>Home</a></nav></body></html>",
    "\x00\x01\x02" * 1000,
    "<div>" * 100_000,
    "<?xml version='1.0'?><rss><channel></channel></rss>",
])
def test_clean_html_of_garbage_is_empty(garbage: str) -> None:
    article = clean_html(garbage)

    assert article.body == ""
    assert article.title is None


def test_clean_html_does_not_parse_oversized_input() -> None:
    started = time.perf_counter()

    assert clean_html("<p>" + "word " * 3_000_000 + "</p>").body == ""
    assert time.perf_counter() - started < 5


def test_clean_html_paragraphs_match_clean_text_format() -> None:
    body = clean_html(HTML_PAGE).body

    assert re.search(r"\n{3,}|[ \t]\n|\n[ \t]", body) is None
    assert clean_text(body).body == body
