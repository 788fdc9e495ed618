"""Hostile text costs time linear in its length: /flag detects in a web process while the client waits.

A regex that rescans the rest of the text from each position (500,000 spaces through /flag held a web
process for five minutes), or a loop that does, shows as time growing with the square of the length. Each
shape of text is timed at two sizes, 8x apart: linear code takes about 8x as long, quadratic 64x. Each run
has a time cap, so a regression fails in seconds instead of hanging the suite. Times are this thread's CPU
time, with the garbage collector held off: other processes on a busy machine do not count. (The process
CPU clock is no use here: with the cap's profiling timer armed it often reads the same before and after.)
"""
from __future__ import annotations

import gc
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from detection import detect
from service.services.articles import Submission, clean_submission
from service.services.errors import InvalidInput

SMALL = 2_500
FACTOR = 8
# Linear code grows about FACTOR-fold; allow 20x (noise on a busy 2-core machine) plus 20 ms of slack for
# timings too short to compare. Quadratic code grows about 64-fold and fails; so does any shape over the
# ceiling at the large size (the slowest linear ones, a number or a cue every few characters, take 0.3 s).
GROWTH = 20
SLACK = 0.02
CEILING = 3.0
CAP_SMALL = 2.0
MEGABYTE = 1_000_000

TITLED = "Prices rise again\n\nIt rose"
QUOTES = '"“”«»\'‘’'
# (head, unit repeated to the size, tail): each a shape that once cost, or could cost, quadratic time.
SHAPES: dict[str, tuple[str, str, str]] = {
    # Blank shapes have no word at all: one word on the line let the old paragraph regex match at once.
    "spaces": ("", " ", ""),
    "no-break spaces": ("", "\xa0", ""),
    "newlines mixed with spaces": ("", " \n  \n", ""),
    "tabs": ("", "\t", ""),
    "white space of every kind": ("", " \t\xa0\u2009\n\r\u2028", ""),
    "capitalised words": ("", "The Minister Of State For Health And Social Care ", "said."),
    "capitalised words and cues": ("", "The Minister Of State For Health And Social Care Said ", ""),
    **{f"quote mark {mark}": ("", mark, "") for mark in QUOTES},
    **{f"quote mark {mark} around words": ("", f"{mark}a b{mark} ", "") for mark in QUOTES},
    "quotes of both families": ("", "\"abc\" 'abc' ‘abc’ “abc” ", ""),
    "a single quote closed over no word": ("‘", "!’ ", ""),
    "digit groups": ("", "1,000,", ""),
    "percentages": ("", "12.5% ", ""),
    "digits": ("", "1234567890", ""),
    "numbers and units": ("", "about 1 million dollars a year ", ""),
    "dashes": ("", "—", ""),
    "spaced hyphens": ("", "- ", ""),
    "opening parentheses": ("", "(", ""),
    "parentheses": ("", "() ", ""),
    "a long word": ("", "a", ""),
    "a paragraph of said": ("", "said ", ""),
    "inverted cues": ("", "x, said bob ", ""),
    "inverted cues after quotes": ("", "'a,' said bob ", ""),
    "according to": ("", "according to ", ""),
    # Runs of sentence marks in a body under a title, so that cleaning keeps them for the claims split.
    "full stops": (TITLED, ".", ""),
    "exclamation marks": (TITLED, "!", ""),
    "question and exclamation marks": (TITLED, "?!", ""),
    "ellipses": (TITLED, "…", ""),
    "initials": ("", "A. ", ""),
    "at signs": ("", "@", ""),
    "hard-wrapped lines": ("", "word\n", ""),
    "a name repeated": ("This is the first sentence of the article. It goes on.\n", "Jane Doe\n", ""),
    "breadcrumbs": ("", "a >a >a >a >a >a >a >a >\n", ""),
    "bullet points": ("Key points\n", "• a b\n", ""),
}


def _flag(text: str) -> None:
    detect(text)  # what POST /api/v1/flag and `claimdesk flag` run


def _submit(text: str) -> None:
    # What POST /api/v1/articles runs in the web process: cleaning and the split into claims.
    try:
        clean_submission(Submission(body=text), max_chars=10 * SMALL * FACTOR)
    except InvalidInput:
        pass  # nothing left once cleaned: refused, as it should be


PATHS: dict[str, Callable[[str], None]] = {"flag": _flag, "article": _submit}


class TookTooLong(Exception):
    pass


@contextmanager
def _cap(seconds: float) -> Iterator[None]:
    def _expire(signum, frame):
        raise TookTooLong(f"still running after {seconds:.1f} s")

    previous = signal.signal(signal.SIGPROF, _expire)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)


def _text(shape: tuple[str, str, str], size: int) -> str:
    head, unit, tail = shape
    return head + unit * (size // len(unit)) + tail


def _timed(run: Callable[[str], None], text: str, cap: float, runs: int) -> float:
    """The least of ``runs`` timings (the others are the machine's noise), each under ``cap``."""
    best = float("inf")
    gc.disable()
    try:
        for _ in range(runs):
            with _cap(cap):
                started = time.thread_time()
                run(text)
                best = min(best, time.thread_time() - started)
    finally:
        gc.enable()
    return best


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("shape", SHAPES)
def test_time_grows_linearly_with_the_length(shape, path):
    run = PATHS[path]
    try:
        small = _timed(run, _text(SHAPES[shape], SMALL), CAP_SMALL, runs=3)
        bound = min(CEILING, GROWTH * small + SLACK)
        cap = max(2 * bound, 0.5)
        large = _timed(run, _text(SHAPES[shape], SMALL * FACTOR), cap, runs=1)
        if large > 0.5 * bound:  # perhaps the machine's noise: the least of two
            large = min(large, _timed(run, _text(SHAPES[shape], SMALL * FACTOR), cap, runs=1))
    except TookTooLong as exc:
        pytest.fail(f"{shape!r} through {path}: {exc}")
    assert large <= bound, (
        f"{shape!r} through {path}: {SMALL:,} characters took {small:.3f} s, {SMALL * FACTOR:,} took "
        f"{large:.3f} s ({large / max(small, 1e-6):.0f}x for {FACTOR}x the length)")


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("blank", [" ", "\xa0"], ids=["spaces", "no-break spaces"])
def test_a_megabyte_of_blanks_is_read_in_one_pass(blank, path):
    # Over the /flag and article limits, but cleaning reads an article before its length is checked.
    try:
        took = _timed(PATHS[path], blank * MEGABYTE, 2 * CEILING, runs=1)
    except TookTooLong as exc:
        pytest.fail(f"1 MB of {blank!r} through {path}: {exc}")
    assert took <= CEILING, f"1 MB of {blank!r} through {path} took {took:.1f} s"
