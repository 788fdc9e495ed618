"""Quote flags: mark pairing, apostrophes, subtypes and the speaker taken from the attribution."""
from __future__ import annotations

from detection.attribution import find_quotes_and_sourcing
from detection.model import Flag


def quotes(text: str) -> list[Flag]:
    found, _ = find_quotes_and_sourcing(text)
    for flag in found:
        assert flag.text == text[flag.start:flag.end]
    return found


def test_speaker_before_a_colon():
    [q] = quotes('The mayor said: "We will rebuild the bridge by spring."')
    assert q.text == '"We will rebuild the bridge by spring."'
    assert q.subtype == "direct"
    assert q.attrs == {"speaker": "The mayor", "cue": "said"}


def test_pronoun_speaker_after_the_quote():
    [q] = quotes("“We are not done yet,” she said.")
    assert q.text == "“We are not done yet,”"
    assert q.attrs == {"speaker": "she", "cue": "said"}


def test_inverted_attribution_with_appositive():
    [q] = quotes('"Prices will fall next year," said Jane Osei, an economist at the bank.')
    assert q.text == '"Prices will fall next year,"'
    assert q.attrs == {"speaker": "Jane Osei", "cue": "said"}


def test_multi_paragraph_quote_is_one_flag_per_paragraph_with_the_run_speaker():
    text = 'He added: "The first part runs on.\n\n"The second part still runs.\n\n"The last part closes."'
    first, second, third = quotes(text)
    assert first.text == '"The first part runs on.'
    assert second.text == '"The second part still runs.'
    assert third.text == '"The last part closes."'
    assert first.attrs == {"speaker": "He", "cue": "added"}
    assert second.attrs == {"speaker": "He", "cue": None}
    assert third.attrs == {"speaker": "He", "cue": None}
    assert {q.subtype for q in (first, second, third)} == {"direct"}


def test_later_quote_in_the_paragraph_keeps_the_speaker():
    first, second = quotes('"We won," Sam Boateng said. "Now we rest."')
    assert first.attrs["speaker"] == second.attrs["speaker"] == "Sam Boateng"


def test_scare_quotes_and_headline_fragments_are_partial():
    [q] = quotes("Minister admits ‘serious errors’ in report")
    assert (q.text, q.subtype) == ("‘serious errors’", "partial")
    [q] = quotes("The plan was called a 'bold gamble' by its critics.")
    assert (q.text, q.subtype) == ("'bold gamble'", "partial")


def test_apostrophes_are_not_quotes():
    assert quotes("Putin's aides say it's a c'est la vie moment, very '90s in style.") == []
    assert quotes("She has loved rock 'n' roll since the 'eighties, and the teachers' union agrees.") == []


def test_inch_and_foot_marks_are_not_quotes():
    assert quotes('The forward is 6\'2" tall and the new screen is 55" wide.') == []


def test_plural_possessive_does_not_close_a_quote():
    [q] = quotes("The teachers' union said 'no' to the offer.")
    assert q.text == "'no'"


def test_guillemets():
    [q] = quotes("The minister said «we will leave tomorrow» on Tuesday.")
    assert q.text == "«we will leave tomorrow»"
    assert q.attrs["speaker"] == "The minister"


def test_doubled_apostrophes_as_printed_by_some_outlets():
    [q] = quotes("''It was a mistake to wait,'' Mr. Lee said.")
    assert q.text == "''It was a mistake to wait,''"
    assert q.attrs == {"speaker": "Mr. Lee", "cue": "said"}


def test_double_quotes_nested_in_single_quotes_make_one_flag():
    [q] = quotes("‘He told me “never again” and then left,’ said Ann Roy.")
    assert q.text == "‘He told me “never again” and then left,’"
    assert q.attrs["speaker"] == "Ann Roy"


def test_a_quote_without_attribution_has_no_speaker():
    [q] = quotes("The word “resilience” appears twice.")
    assert q.attrs == {"speaker": None, "cue": None}
    assert q.subtype == "partial"


def test_a_finding_reported_by_a_speaker_is_credited_to_the_speaker():
    # Figures utter no words: the quoted words are the spokesman's.
    [q] = quotes('Spokesman Tom Reyes said the figures showed "an economy that keeps on delivering".')
    assert q.attrs == {"speaker": "Spokesman Tom Reyes", "cue": "said"}
    [q] = quotes('A 2014 study found "significant harm" in the sample.')
    assert q.attrs == {"speaker": "A 2014 study", "cue": "found"}


def test_an_attribution_enclosing_another_keeps_its_quote():
    [q] = quotes('The report, which Smith said was flawed, found "no evidence" of fraud.')
    assert q.attrs == {"speaker": "The report", "cue": "found"}


def test_a_full_stop_after_the_closing_mark_ends_the_sentence():
    # British style puts the stop outside: the next sentence's speaker is not this quote's.
    first, second = quotes('The think tank said it was "welcome but fragile". Ann Roy, its analyst, said '
                           'it was "too early".')
    assert first.attrs == {"speaker": "The think tank", "cue": "said"}
    assert second.attrs == {"speaker": "Ann Roy", "cue": "said"}


def test_an_attribution_opening_the_next_quote_leaves_this_one_to_its_own():
    first, second = quotes('The minister told the BBC the figures were "a turning point", adding: '
                           '"We are doing it."')
    assert first.attrs == {"speaker": "The minister", "cue": "told"}
    assert second.attrs == {"speaker": "The minister", "cue": "adding"}
