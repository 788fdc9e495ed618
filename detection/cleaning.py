"""Turn an article as pasted or fetched into the stored body: headline, standfirst, body paragraphs."""
from __future__ import annotations

import re
from html import unescape

from .model import CleanArticle

# --- whitespace --------------------------------------------------------------------------------------

_LINE_BREAKS = re.compile(r"\r\n?|[\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
# Soft hyphens and zero-width characters come along with copied text and break word matching.
_INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200d\u2060\ufeff]")
# Every other kind of white space (tabs, NBSP, thin spaces) becomes one plain space.
_SPACES = re.compile(r"[^\S\n]+")

# --- the shape of a line -------------------------------------------------------------------------------

_TERMINAL = re.compile(r"[.!?:;…][\"'”’»)\]]*$")
_SENTENCE_END = re.compile(r"[.!?…][\"'”’»)\]]*$")
_BULLET = re.compile(r"^[•·▪◦‣●○■□►▸*–-]\s+")
_PARTICLES = frozenset("de da van von der den bin al la le del di du y".split())

# --- lines that are never body text ------------------------------------------------------------------

_SOCIAL = (
    "facebook|instagram|x|twitter|threads|tiktok|youtube|linkedin|whatsapp|pinterest|reddit|snapchat"
    "|telegram|bluesky|mastodon|messenger|flipboard|email|e-mail"
)
# Whole lines that are page furniture: menus, buttons, advert slots, social links.
_FURNITURE = re.compile(
    r"(?:" + _SOCIAL + r"|advert|advertisement|ad|sponsored|sponsored content|promoted|paid content"
    r"|story continues below(?: advertisement)?"
    r"|article continues (?:below|after (?:this )?advert(?:isement)?)"
    r"|continue reading(?: the main story| below)?|scroll to continue(?: with content)?"
    r"|submit your content|skip to (?:main )?(?:content|navigation)|menu|search|close|sign in|log in|login"
    r"|register|sign up|subscribe|subscribe now|share|share this|share this (?:article|story|page)|shares?"
    r"|copy link|link copied|reuse this content|print|comments?|view comments|save|saved|listen"
    r"|listen to this article|watch"
    r"|play|video|gallery|more|see more|show more|load more|read more|back to top|next|previous|home"
    r"|hide caption|toggle caption|enlarge this image|image|photo|image source|image caption|media caption"
    r"|getty images|follow|following|follow us|live|breaking|breaking news|exclusive|newsletter"
    r"|accept cookies|manage cookies|cookie settings|\d+ min(?:ute)?s? read)[:.!]?",
    re.IGNORECASE,
)
# Lines that open with a label saying what they are: image credits, tag lists, share prompts.
_LABELLED = re.compile(
    r"(?:featured image credit|image credits?|photo credits?|picture credits?|credits?|image|photo|picture"
    r"|pic|photograph|image source|image caption|media caption|caption|cover image|header image|lead image"
    r"|top image|main image|hero image|topics|tags|related topics|filed under|categories|category|more on"
    r"|more about|keywords|related|see also|read more|read next|also read|watch|listen|video"
    r"|editor'?s'? note|editor’s note|editors’ note)\s*:"
    r"|(?:image caption|image source|media caption)\s*,",
    re.IGNORECASE,
)
# Promotional or production lines, wherever the phrase sits in the line.
_PROMO = re.compile(
    r"\b(?:click here|tap here|sign up here|sign up now|subscribe now|subscribe here|support our journalism"
    r"|support independent journalism|become a (?:member|subscriber|supporter)|donate now|make a donation"
    r"|contains affiliate links|may earn a commission|all rights reserved|contributed to this report"
    r"|our standards:|trust principles|(?:sign up|subscribe) (?:to|for) (?:our|the)"
    r"|download (?:our|the) .{0,30}\bapp|follow us on)\b|©",
    re.IGNORECASE,
)
# "Share on Facebook", "Follow @someone on X", "Sign up for the morning newsletter".
_CALL_TO_ACTION = re.compile(r"(?:share|follow|like us|join us|sign up|subscribe|download|get our|get the)\b",
                             re.IGNORECASE)
_CALL_TARGET = re.compile(r"@\w|\b(?:" + _SOCIAL + r"|newsletters?|podcasts?|app|alerts|notifications)\b",
                          re.IGNORECASE)
# Wire-service production credits: "(Reporting by ...; Editing by ...)".
_STAFF_CREDIT = re.compile(r"\(?(?:additional )?(?:reporting|writing|editing|compiled|produced) by\b",
                           re.IGNORECASE)
_BREADCRUMB = re.compile(r"(?:home\s*[>»›/|]|[^.!?>»›]{1,30}(?:\s*[>»›]\s*[^.!?>»›]{1,30})+$)", re.IGNORECASE)
# An address's "@" is its first after the first character: "\S+@" tried every "@" of "@@@@…" (quadratic).
_HANDLE_OR_LINK = re.compile(r"(?:@\w+|https?://\S+|www\.\S+|\S[^\s@]*@\S+\.\w+)")
_BYLINE = re.compile(r"(?i:by)\s+[A-Z][\w'’.-]*(?:\s+(?:[A-Z][\w'’.-]*|de|van|von|al|bin)){0,3}"
                     r"(?:\s*(?:,|\||\band\b|&)\s*.*)?")
_DATELINE = re.compile(r"(?:published|updated|last updated|posted|first published|modified|created)\b",
                       re.IGNORECASE)
_MONTHS = (
    "jan|january|feb|february|mar|march|apr|april|may|jun|june|jul|july|aug|august|sep|sept|september"
    "|oct|october|nov|november|dec|december"
)
_DAYS = "mon|monday|tue|tues|tuesday|wed|wednesday|thu|thur|thurs|thursday|fri|friday|sat|saturday|sun|sunday"
# A line made only of these is a date, a time or a "25 mins ago".
_DATE_TOKEN = re.compile(
    r"(?:\d[\d:./,+-]*(?:st|nd|rd|th|am|pm|h)?|" + _MONTHS + "|" + _DAYS
    + r"|a\.?m|p\.?m|gmt[+-]?\d*|bst|utc|cet|cest|est|edt|cst|cdt|pst|pdt|et|pt|ist|aest|ago|an?|just|now"
    r"|yesterday|today|min|mins|minutes?|hours?|hrs?|days?|weeks?|months?|years?|on|at|last|read"
    r"|updated|published|posted)",
    re.IGNORECASE,
)
_DATE_ANCHOR = re.compile(r"\d|\b(?:" + _MONTHS + r"|ago|yesterday|today)\b", re.IGNORECASE)
# A picture credit closing a caption: "(Alamy)", "(AP Photo/Evan Vucci)", "(Image: Getty)".
_CREDIT_IN_PARENS = re.compile(r"\S\s+\(([A-Z][^()]{0,60})\)$")
_CREDIT_WORDS = frozenset({"by", "via", "for", "of", "and", "/", "&"})
_CREDIT_LABEL = re.compile(r"(?:image|photo|picture|pic|credit|photograph)\s*(?::|by\b)", re.IGNORECASE)
_TRAILING_CREDIT = re.compile(
    r"\b(?:Photograph|Photo|Illustration|Composite|Image|Picture)\s*:\s*[^.!?]{1,80}$")
# Headings of the lists that follow an article: after them, nothing is body until a real paragraph.
_END_OF_ARTICLE = re.compile(
    r"(?:choose your content|related (?:stories|articles|content|topics|coverage|links)|more stories"
    r"|more from [^.!?]{1,40}|you (?:may|might) also like|most (?:read|popular|viewed|shared)"
    r"|recommended(?: for you| stories| reading)?|trending(?: now| stories)?|top stories"
    r"|latest (?:news|stories)"
    r"|more on this story|around the web|join the conversation|sponsored stories|what to read next"
    r"|explore more(?: on these topics)?)[:.]?",
    re.IGNORECASE,
)
# Headings of a list of links inside the article ("Read more:" over two related headlines): the list runs
# to the next line that reads as a sentence.
_LINK_LIST = re.compile(
    r"(?:read more|read next|see also|also read|related|more on this(?: story)?|more on this topic"
    r"|recommended reading|you may have missed)[:.]?",
    re.IGNORECASE,
)
_ABOUT_THE_AUTHOR = re.compile(r"about the (?:author|writer)s?:?", re.IGNORECASE)
# Headings of the article's own bullet points, as live pages and explainers open: each point is a claim.
_KEY_POINTS = re.compile(
    r"(?:the )?(?:key (?:points|facts|events|takeaways)|main points|at a glance|in brief|in short"
    r"|what we know(?: so far)?|the story so far)[:.]?",
    re.IGNORECASE,
)


def _words(line: str) -> list[str]:
    return line.split()


def _is_sentence(line: str) -> bool:
    """Reads like running text: closes with punctuation, or is too long to be anything else."""
    n = len(_words(line))
    return n >= 30 or (n >= 2 and bool(_TERMINAL.search(line)))


def _is_full_paragraph(line: str) -> bool:
    """Unmistakably a paragraph of prose, not a teaser or link text."""
    return len(_words(line)) >= 15 and bool(_SENTENCE_END.search(line))


def _is_name(line: str) -> bool:
    """Shaped like a person's or outlet's name: two to four capitalised words, nothing else."""
    words = _words(line)
    return (2 <= len(words) <= 4 and not _TERMINAL.search(line)
            and all((w[0].isupper() and not any(c.isdigit() for c in w)) or w in _PARTICLES for w in words))


def _is_date(line: str) -> bool:
    tokens = [t for t in re.split(r"[\s,|·•()\[\]-]+", line) if t]
    return (0 < len(tokens) <= 12 and bool(_DATE_ANCHOR.search(line))
            and all(_DATE_TOKEN.fullmatch(t.rstrip(".:")) for t in tokens))


def _is_credit_caption(line: str) -> bool:
    m = _CREDIT_IN_PARENS.search(line)
    if m is None or len(_words(line)) > 40 or _SENTENCE_END.search(line[: m.start() + 1]):
        return False
    credit = m.group(1)
    if _CREDIT_LABEL.match(credit):
        return True
    words = credit.replace("/", " / ").split()
    return len(words) <= 6 and all(w[0].isupper() or w.lower() in _CREDIT_WORDS for w in words)


def _is_junk(line: str) -> bool:
    """Lines that are page furniture wherever they appear: never part of an article's text."""
    n = len(_words(line))
    if _FURNITURE.fullmatch(line) or _HANDLE_OR_LINK.fullmatch(line) or _is_date(line):
        return True
    if n <= 40 and (_LABELLED.match(line) or _PROMO.search(line) or _STAFF_CREDIT.match(line)
                    or _is_credit_caption(line)
                    or _TRAILING_CREDIT.search(line)):
        return True
    if n <= 15 and not _SENTENCE_END.search(line):
        if _DATELINE.match(line) and _DATE_ANCHOR.search(line):
            return True
        if _CALL_TO_ACTION.match(line) and _CALL_TARGET.search(line):
            return True
        if _BREADCRUMB.match(line) or _BYLINE.fullmatch(line):
            return True
    return False


def _is_link_bullet(line: str) -> bool:
    """A bulleted menu entry or story link, as opposed to a bulleted point of the article."""
    if _SENTENCE_END.search(line):
        return False
    words = _words(line)
    capitalised = sum(1 for w in words if w[0].isupper())
    return len(words) <= 6 or capitalised >= 0.6 * len(words)


# --- the passes --------------------------------------------------------------------------------------


def _lines(raw: str) -> tuple[list[str], list[bool], set[int]]:
    """Non-empty normalised lines; for each, whether a blank line came before it; and which lines are the
    article's own points, bulleted under a heading such as "Key points" (the heading itself is dropped)."""
    text = _INVISIBLE.sub("", _LINE_BREAKS.sub("\n", raw))
    # Each line as its pieces, joined once at the end: adding a wrapped line to a growing string (and
    # testing the whole string's end) was quadratic in a paragraph of many short lines.
    lines: list[list[str]] = []
    after_blank: list[bool] = []
    points: set[int] = set()
    blank = True
    joinable = False
    under_points = False
    for piece in text.split("\n"):
        line = _SPACES.sub(" ", piece).strip()
        if not line:
            blank = True
            continue
        bullet = _BULLET.match(line)
        if bullet and not line[bullet.end()].islower():
            if under_points:
                points.add(len(lines))  # "• £9bn raised from higher-rate taxpayers" under "Key points"
            elif _is_link_bullet(line[bullet.end():]):
                blank, joinable = False, False
                continue
            line = line[bullet.end():]
        elif _KEY_POINTS.fullmatch(line):
            under_points, blank, joinable = True, False, False
            continue
        elif joinable and not blank and line[0].islower() and not _TERMINAL.search(lines[-1][-1]):
            # A hard-wrapped paragraph: the line carries on the sentence of the one before.
            lines[-1].append(line)
            continue
        else:
            under_points = False
        lines.append([line])
        after_blank.append(blank)
        blank, joinable = False, True
    return [" ".join(pieces) for pieces in lines], after_blank, points


def _end_of_body(lines: list[str], first_body: int) -> int:
    """Index where the author's bio starts ("Jane Doe" then "Jane Doe is ..."): it and all after it go."""
    # Where the run of copies of each line ends, found from the back in one pass: walking each run from
    # each of its lines was quadratic in a page of one name repeated.
    run_end = list(range(1, len(lines) + 1))
    for i in range(len(lines) - 2, -1, -1):
        if lines[i + 1] == lines[i]:
            run_end[i] = run_end[i + 1]
    for i in range(first_body + 1, len(lines) - 1):
        name = lines[i]
        if _ABOUT_THE_AUTHOR.fullmatch(name):
            return i
        if not _is_name(name):
            continue
        j = run_end[i]
        if j < len(lines) and lines[j].startswith(name + " ") and _is_sentence(lines[j]):
            return i
    return len(lines)


def _drop_link_lists(lines: list[str], keep: list[bool], first_body: int) -> None:
    """After an end-of-article heading ("Most read"), drop everything up to the next real paragraph; after
    a link-list heading ("Read more:"), the headlines up to the next line that reads as a sentence."""
    body_again = None
    for i in range(first_body + 1, len(lines)):
        if _END_OF_ARTICLE.fullmatch(lines[i]):
            body_again = _is_full_paragraph
            keep[i] = False
        elif _LINK_LIST.fullmatch(lines[i]):
            body_again = body_again or _is_sentence
            keep[i] = False
        elif body_again is not None:
            if body_again(lines[i]):
                body_again = None
            else:
                keep[i] = False


def _could_be_headline(line: str) -> bool:
    """Section labels, menu entries, bylines and the outlet's name are shorter or shaped like a name."""
    return len(_words(line)) >= 3 and not _is_name(line)


def _find_headline(lines: list[str], keep: list[bool], first_body: int) -> int | None:
    """The headline among the header's lines: the last copy of a line printed twice (near the breadcrumb,
    then over the article), else the first line that could be one."""
    candidates = [i for i in range(first_body) if keep[i] and _could_be_headline(lines[i])]
    last = {lines[i]: i for i in candidates}
    return next((last[lines[i]] for i in candidates if last[lines[i]] != i),
                candidates[0] if candidates else None)


def clean_text(raw: str, title: str | None = None) -> CleanArticle:
    """The stored body of pasted article text: headline, standfirst, then the body paragraphs.

    Paragraphs are separated by one blank line and keep their characters; page furniture (menus, adverts,
    datelines, bylines, captions, share prompts, credits, tag lists, promotions, the author's bio and what
    follows it) is dropped. ``title``, when known, is the headline; otherwise it is found in the text.
    """
    if title is not None:
        title = " ".join(_INVISIBLE.sub("", title).split()) or None
    lines, after_blank, points = _lines(raw)
    keep = [i in points or not _is_junk(line) for i, line in enumerate(lines)]
    # The header is what comes before the first line of prose: masthead, headline, standfirst, byline.
    first_body = next((i for i, line in enumerate(lines) if keep[i] and _is_sentence(line)), len(lines))
    end = _end_of_body(lines, first_body)
    del lines[end:], keep[end:], after_blank[end:]
    _drop_link_lists(lines, keep, first_body)

    if title is not None:
        wanted = title.casefold()
        # A headline with a full stop reads as prose, so it may be the first "body" line.
        found = [i for i in range(min(first_body + 1, len(lines))) if lines[i].casefold() == wanted]
        headline_at = found[-1] if found else None
    else:
        headline_at = _find_headline(lines, keep, first_body)
    if headline_at is not None:
        # Everything above the headline is the page's masthead.
        keep[:headline_at] = [False] * headline_at
        keep[headline_at] = True
        if title is not None or not _is_sentence(lines[headline_at]):
            title = lines[headline_at]

    # Between headline and first paragraph: the standfirst, then bylines, roles and dates to drop.
    standfirst_seen = False
    for i in range(0 if headline_at is None else headline_at + 1, first_body):
        if not keep[i] or i in points:
            continue
        words = len(_words(lines[i]))
        if not standfirst_seen and words >= 5 and not _is_name(lines[i]):
            standfirst_seen = True
        elif words <= 8 or _is_name(lines[i]):
            keep[i] = False

    uses_blank_lines = any(after_blank[1:])
    for i in range(first_body, len(lines)):
        line = lines[i]
        if not keep[i] or i == headline_at or i in points:
            continue
        repeated = (i + 1 < len(lines) and lines[i + 1] == line) or (i > 0 and lines[i - 1] == line)
        if repeated and not (_is_full_paragraph(line) and len(_words(line)) > 30):
            # Pages print an image's alt text and its caption, or a byline, twice in a row.
            keep[i] = False
        elif (uses_blank_lines and i > 0 and not after_blank[i] and _is_sentence(lines[i - 1])
              and (i + 1 == len(lines) or after_blank[i + 1])
              and len(_words(line)) <= 4 and not _TERMINAL.search(line)):
            # A label glued under a paragraph is the caption of an embedded video or post ("Sky News").
            keep[i] = False
        elif repeated and lines[i - 1] == line and keep[i - 1]:
            # A long paragraph pasted twice: keep the first copy.
            keep[i] = False

    paragraphs = [line for line, kept in zip(lines, keep, strict=True) if kept]
    if title is not None and headline_at is None:
        paragraphs.insert(0, title)
    return CleanArticle(body="\n\n".join(paragraphs), title=title)


# --- HTML --------------------------------------------------------------------------------------------

# Bounded, so that a page of unclosed tags costs one short scan per tag.
_TITLE_TAG = re.compile(r"<title[^>]{0,200}>(.{0,300}?)</title>", re.IGNORECASE | re.DOTALL)
_H1_TAG = re.compile(r"<h1[^>]{0,200}>(.{0,300}?)</h1>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
# "Headline | Site" or "Headline - Site": the site's name is not part of the headline.
_SITE_SUFFIX = re.compile(r"\s+[|–—-]\s+[^|–—-]{1,40}$")
# trafilatura parses the whole document in memory; past this size an input is not an article page.
_MAX_HTML = 10_000_000


def _title_from_markup(html: str) -> str | None:
    for pattern, strip_site in ((_H1_TAG, False), (_TITLE_TAG, True)):
        m = pattern.search(html)
        if m:
            text = " ".join(unescape(_TAG.sub(" ", m.group(1))).split())
            if strip_site:
                text = _SITE_SUFFIX.sub("", text)
            if text:
                return text
    return None


def clean_html(html: str, url: str | None = None) -> CleanArticle:
    """The stored body of an article page: its main text (via trafilatura), then the same rules as text."""
    if not html or not html.strip() or len(html) > _MAX_HTML:
        return CleanArticle(body="", title=None)
    import trafilatura  # heavy import, only needed for fetched pages

    try:
        doc = trafilatura.bare_extraction(
            html, url=url, include_comments=False, include_tables=False, favor_precision=True,
            with_metadata=True,
        )
    except Exception:  # a parser failure on hostile markup means "no article found", not a crash
        doc = None
    text = getattr(doc, "text", None) or ""
    if not text.strip():
        return CleanArticle(body="", title=None)
    title = getattr(doc, "title", None) or _title_from_markup(html)
    # trafilatura writes one paragraph a line; a blank line keeps lines from being joined as wrapped text.
    paragraphs = "\n\n".join(line for line in text.split("\n") if line.strip())
    article = clean_text(paragraphs, title=title)
    if article.body == article.title:
        # A title alone is not an article.
        return CleanArticle(body="", title=None)
    return article
