"""The article body as HTML: each claim wrapped, each flag a focusable <mark>, overlaps nested properly."""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from markupsafe import Markup, escape

from service.web.bidi import marked

# The attributes a reviewer looks for first, in this order; any others follow alphabetically.
ATTR_ORDER = ("speaker", "source", "value", "unit", "approximate", "cue")


class Span(Protocol):
    id: int
    start: int
    end: int


class FlagLike(Span, Protocol):
    kind: str
    subtype: str | None
    attrs: dict[str, Any]


def describe(flag: FlagLike) -> str:
    """One line a tooltip and a screen reader both use: kind, subtype, then the attributes."""
    head = f"{flag.kind} ({flag.subtype})" if flag.subtype else flag.kind
    attrs = flag.attrs or {}
    keys = [k for k in ATTR_ORDER if k in attrs] + sorted(k for k in attrs if k not in ATTR_ORDER)
    parts = [f"{k}: {_attr_text(attrs[k])}" for k in keys if attrs[k] not in (None, "", [])]
    return f"{head}: {'; '.join(parts)}" if parts else head


def _attr_text(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _open(flag: FlagLike, first: bool) -> str:
    # Only a flag's first piece is a tab stop; pieces re-opened after a crossing overlap are not, so
    # each flag is reached once from the keyboard.
    kind = escape(flag.kind)
    classes = f"flag f-{kind}" + ("" if first else " flag-cont")
    focus = f' tabindex="0" aria-describedby="fd-{flag.id}"' if first else ""
    return (f'<mark class="{classes}" data-flag="{flag.id}" data-kind="{kind}"'
            f' data-subtype="{escape(flag.subtype or "")}"{focus}>')


def _flags_html(text: str, lo: int, hi: int, flags: Iterable[FlagLike], out: list[str]) -> None:
    """Write text[lo:hi] with every flag nested: split at every boundary, close and re-open on crossings."""
    clipped = [(max(f.start, lo), min(f.end, hi), f) for f in flags]
    clipped = [c for c in clipped if c[0] < c[1]]
    # Longer flags open first so they sit outside the shorter ones they contain.
    clipped.sort(key=lambda c: (c[0], -c[1], c[2].id))
    bounds = sorted({lo, hi, *(c[0] for c in clipped), *(c[1] for c in clipped)})
    starting: dict[int, list[tuple[int, int, FlagLike]]] = {}
    for c in clipped:
        starting.setdefault(c[0], []).append(c)
    stack: list[tuple[int, int, FlagLike]] = []
    pos = lo
    for b in bounds:
        if b > pos:
            out.append(marked(text[pos:b]))
            pos = b
        ending = [i for i, c in enumerate(stack) if c[1] <= b]
        if ending:
            deepest = ending[0]
            popped = stack[deepest:]
            out.append("</mark>" * len(popped))
            del stack[deepest:]
            for c in popped:
                if c[1] > b:
                    stack.append(c)
                    out.append(_open(c[2], first=False))
        for c in starting.get(b, ()):
            stack.append(c)
            out.append(_open(c[2], first=True))
    out.append("</mark>" * len(stack))


def render_body(body: str, claims: Sequence[Span], flags: Mapping[int, Sequence[FlagLike]]) -> Markup:
    """The body with each claim in a span (so the page can point at it) and its flags inside."""
    out: list[str] = []
    pos = 0
    for claim in sorted(claims, key=lambda c: c.start):
        start, end = max(claim.start, pos), max(claim.end, pos)
        if start > pos:
            out.append(marked(body[pos:start]))
        out.append(f'<span class="claim" id="cb-{claim.id}" data-claim="{claim.id}">')
        _flags_html(body, start, end, flags.get(claim.id, ()), out)
        out.append("</span>")
        pos = end
    out.append(marked(body[pos:]))
    return Markup("".join(out))
