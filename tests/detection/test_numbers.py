"""Number flags: span, subtype and attrs for each kind of quantity, and the numerals that are not ones."""
from __future__ import annotations

import pytest

from detection.number_words import number_value
from detection.numbers import find_numbers


def numbers(text: str) -> list[tuple]:
    """(span text, subtype, value, unit, approximate) for every flag, after checking the offsets."""
    found = []
    for flag in find_numbers(text):
        assert flag.kind == "number"
        assert flag.text == text[flag.start:flag.end]
        assert set(flag.attrs) == {"value", "unit", "approximate"}
        attrs = flag.attrs
        found.append((flag.text, flag.subtype, attrs["value"], attrs["unit"], attrs["approximate"]))
    return found


COUNTS = [
    ("The fire destroyed 1,351 homes.", [("1,351", "count", 1351.0, None, False)]),
    ("The Premier League's 20 clubs and the Democrats' 12 senators agreed.",
     [("20", "count", 20.0, None, False), ("12", "count", 12.0, None, False)]),
    ("Two officials resigned on the spot.", [("Two", "count", 2.0, None, False)]),
    ("The club now has twenty-five members.", [("twenty-five", "count", 25.0, None, False)]),
    ("A dozen pupils were sent home.", [("A dozen", "count", 12.0, None, False)]),
    ("She interviewed two dozen farmers.", [("two dozen", "count", 24.0, None, False)]),
    ("The region has 1.2 million residents.", [("1.2 million", "count", 1200000.0, None, False)]),
    ("The census found 4.6m households.", [("4.6m", "count", 4600000.0, None, False)]),
    ("The charity fed more than a thousand families.",
     [("more than a thousand", "count", 1000.0, None, True)]),
    ("About 60 guards walked out.", [("About 60", "count", 60.0, None, True)]),
    ("As many as 19,000 fish died in the lake.", [("As many as 19,000", "count", 19000.0, None, True)]),
    ("The union speaks for almost 50,000 nurses.", [("almost 50,000", "count", 50000.0, None, True)]),
    ("At least one bridge was closed.", [("At least one", "count", 1.0, None, True)]),
    ("Nearly 400 delegates signed the letter.", [("Nearly 400", "count", 400.0, None, True)]),
    ("The river flooded some two hundred and fifty houses.",
     [("some two hundred and fifty", "count", 250.0, None, True)]),
    ("The council sent its 112-member panel home.", [("112-member", "count", 112.0, None, False)]),
    ("A three-judge panel heard the appeal.", [("three-judge", "count", 3.0, None, False)]),
    ("The video was shared 3,200 times.", [("3,200 times", "count", 3200.0, None, False)]),
    ("The club sold 50-odd players.", [("50-odd", "count", 50.0, None, True)]),
    ("The mayor has won twice.", [("twice", "count", 2.0, None, False)]),
]

PERCENTS = [
    ("Turnout reached 12% in the city.", [("12%", "percent", 12.0, "%", False)]),
    ("Prices rose 3.5 per cent last year.", [("3.5 per cent", "percent", 3.5, "%", False)]),
    ("Inflation hit 10.1pc in the autumn.", [("10.1pc", "percent", 10.1, "%", False)]),
    ("Only 4 percent of tenants complained.", [("4 percent", "percent", 4.0, "%", False)]),
    ("Sixty-two percent of members agreed.", [("Sixty-two percent", "percent", 62.0, "%", False)]),
    ("The rate could go as high as 39.6 percent.",
     [("as high as 39.6 percent", "percent", 39.6, "%", True)]),
    ("Support fell five percentage points.",
     [("five percentage points", "percent", 5.0, "percentage points", False)]),
    ("Growth was cut by more than half a percentage point.",
     [("more than half a percentage point", "percent", 0.5, "percentage points", True)]),
    ("She leads the race by 7 points.", [("7 points", "percent", 7.0, "percentage points", False)]),
    ("The governor holds a ten-point lead.", [("ten-point", "percent", 10.0, "percentage points", False)]),
    ("They stalled at the 36-to-40-percent level.",
     [("36", "percent", 36.0, "%", False), ("40-percent", "percent", 40.0, "%", False)]),
]

MONEY = [
    # "over" before a sum naming a deal or a wrong means "about", not "more than".
    ("Man jailed over £3m fraud, and a row over a $5m contract.",
     [("£3m", "money", 3_000_000.0, "GBP", False), ("$5m", "money", 5_000_000.0, "USD", False)]),
    ("They spent over $5m on the project.", [("over $5m", "money", 5_000_000.0, "USD", True)]),
    ("The ticket costs $17.", [("$17", "money", 17.0, "USD", False)]),
    ("The Treasury will borrow £2.4bn more.", [("£2.4bn", "money", 2400000000.0, "GBP", False)]),
    ("The city spent €300 million on trams.", [("€300 million", "money", 300000000.0, "EUR", False)]),
    ("The plan would raise $1.1 trillion.", [("$1.1 trillion", "money", 1100000000000.0, "USD", False)]),
    ("Firms may deduct up to $1 million.", [("up to $1 million", "money", 1000000.0, "USD", True)]),
    ("Shares closed at 340p.", [("340p", "money", 3.4, "GBP", False)]),
    ("He paid a retainer of $35,000 a month.",
     [("$35,000 a month", "money", 35000.0, "USD per month", False)]),
    ("Staff earn $12-an-hour.", [("$12-an-hour", "money", 12.0, "USD per hour", False)]),
    ("They lost a billion dollars.", [("a billion dollars", "money", 1000000000.0, "USD", False)]),
    ("A stamp costs 37 cents.", [("37 cents", "money", 0.37, "USD", False)]),
    ("The fund holds an estimated $10 trillion.",
     [("an estimated $10 trillion", "money", 10000000000000.0, "USD", True)]),
    ("It was a $400-million-a-year business.",
     [("$400-million-a-year", "money", 400000000.0, "USD per year", False)]),
]

MEASURES = [
    ("The new road is 40km long.", [("40km", "measure", 40.0, "km", False)]),
    ("The lorry carried 3.2 tonnes of grain.", [("3.2 tonnes", "measure", 3.2, "tonnes", False)]),
    ("The pilot flew 5,500 miles.", [("5,500 miles", "measure", 5500.0, "miles", False)]),
    ("Nurses work 60 hours a week.", [("60 hours a week", "measure", 60.0, "hours per week", False)]),
    ("The ban lasted over 10 years.", [("10 years", "measure", 10.0, "years", False)]),
    ("She queued for 4 1/2 hours.", [("4 1/2 hours", "measure", 4.5, "hours", False)]),
    ("He served a five-year term.", [("five-year", "measure", 5.0, "years", False)]),
    ("It ends a seven-decade custom.", [("seven-decade", "measure", 7.0, "decades", False)]),
    ("The farm lies some 15 miles east of town.", [("some 15 miles", "measure", 15.0, "miles", True)]),
    ("The speech ran longer than 30 minutes.",
     [("longer than 30 minutes", "measure", 30.0, "minutes", True)]),
    ("He has not paid tax for 15-plus years.", [("15-plus years", "measure", 15.0, "years", True)]),
    ("Rawlings, 59, of Leeds, was there.", [("59", "measure", 59.0, "years of age", False)]),
    ("The driver, 24, was unhurt.", [("24", "measure", 24.0, "years of age", False)]),
    ("If you are 80 years old, you remember.", [("80 years old", "measure", 80.0, "years of age", False)]),
    ("A 12-week-old puppy was found.", [("12-week-old", "measure", 12.0, "weeks of age", False)]),
    ("He turned 18 in May.", [("18", "measure", 18.0, "years of age", False)]),
    ("The bill covers people ages 55 to 65.",
     [("55", "measure", 55.0, "years of age", False), ("65", "measure", 65.0, "years of age", False)]),
    ("Gains held for one to two years are taxed.",
     [("one", "measure", 1.0, "years", False), ("two years", "measure", 2.0, "years", False)]),
    ("Voters waited three, four and even five hours.",
     [("three", "measure", 3.0, "hours", False), ("four", "measure", 4.0, "hours", False),
      ("five hours", "measure", 5.0, "hours", False)]),
    ("A veteran dies every 72 minutes.", [("72 minutes", "measure", 72.0, "minutes", False)]),
    ("London reached 40C on Monday.", [("40C", "measure", 40.0, "degrees Celsius", False)]),
    ("Two men, aged 19 and 23, were held.",
     [("Two", "count", 2.0, None, False), ("19", "measure", 19.0, "years of age", False),
      ("23", "measure", 23.0, "years of age", False)]),
]

SCALED = [
    ("It cost £8.2bn, and debt reached 4.35 trillion.",
     [("£8.2bn", "money", 8_200_000_000.0, "GBP", False),
      ("4.35 trillion", "count", 4_350_000_000_000.0, None, False)]),
    # A fraction of a scale is one number, not a ratio and a count.
    ("A quarter of a million people fled.", [("A quarter of a million", "count", 250_000.0, None, False)]),
    ("Three-quarters of a billion pounds went on roads.",
     [("Three-quarters of a billion pounds", "money", 750_000_000.0, "GBP", False)]),
    ("It spent about a third of a billion dollars.",
     [("about a third of a billion dollars", "money", 333_333_333.333333, "USD", True)]),
    ("Three quarters of the staff left.", [("Three quarters", "ratio", 0.75, "fraction", False)]),
    ("He ruled for a quarter of a century and spoke for three quarters of an hour.",
     [("a quarter of a century", "measure", 0.25, "centuries", False),
      ("three quarters of an hour", "measure", 0.75, "hours", False)]),
]
RATIOS = [
    ("Half of the staff left.", [("Half", "ratio", 0.5, "fraction", False)]),
    ("Prices have risen by a fifth since 2021 and sales are down by a quarter on last year.",
     [("a fifth", "ratio", 0.2, "fraction", False), ("a quarter", "ratio", 0.25, "fraction", False)]),
    ("Their hours were cut in half.", [("half", "ratio", 0.5, "fraction", False)]),
    ("Rents have doubled.", [("doubled", "ratio", 2.0, "times", False)]),
    ("The rival's profit was halved.", [("halved", "ratio", 0.5, "times", False)]),
    ("The plan would triple the budget.", [("triple", "ratio", 3.0, "times", False)]),
    ("Cases rose at about twice the rate.", [("about twice", "ratio", 2.0, "times", True)]),
    ("Prices are 4 times higher now.", [("4 times", "ratio", 4.0, "times", False)]),
    ("One in five pupils skips lunch.", [("One in five", "ratio", 0.2, "fraction", False)]),
    ("About one of every nine voters is young.",
     [("About one of every nine", "ratio", 0.1111, "fraction", True)]),
    ("Two-thirds of members voted.", [("Two-thirds", "ratio", 0.6667, "fraction", False)]),
    ("Just a quarter of the board agreed.", [("a quarter", "ratio", 0.25, "fraction", False)]),
    ("Sales jumped by a third.", [("a third", "ratio", 0.3333, "fraction", False)]),
    ("There is one doctor per every 2,000 patients.",
     [("one doctor per every 2,000", "ratio", 0.0005, "fraction", False)]),
    ("Demand saw a threefold rise.", [("threefold", "ratio", 3.0, "times", False)]),
    ("About a third said no, and a quarter opposed it.",
     [("About a third", "ratio", 0.3333, "fraction", True), ("a quarter", "ratio", 0.25, "fraction", False)]),
]
SIGNED = [
    ("The temperature fell to minus 12C overnight.",
     [("minus 12C", "measure", -12.0, "degrees Celsius", False)]),
    ("Lows of −5C are forecast.", [("−5C", "measure", -5.0, "degrees Celsius", False)]),
    ("Growth was -0.3% in the quarter.", [("-0.3%", "percent", -0.3, "%", False)]),
    ("Turnout was 60-65% in the pre-2020 polls.",
     [("60", "percent", 60.0, "%", False), ("65%", "percent", 65.0, "%", False)]),
]

VAGUE = [
    ("Thousands of soldiers crossed the border.",
     [("Thousands of soldiers", "vague", None, None, True)]),
    ("Dozens of paratroopers refused to go.", [("Dozens of paratroopers", "vague", None, None, True)]),
    ("The storm damaged hundreds of homes.", [("hundreds of homes", "vague", None, None, True)]),
    ("Tens of thousands of care homes and hundreds of young people were hit; thousands of miles away.",
     [("Tens of thousands of care homes", "vague", None, None, True),
      ("hundreds of young people", "vague", None, None, True),
      ("thousands of miles", "vague", None, None, True)]),
    ("I attended a couple of these meetings.", [("a couple of these meetings", "vague", None, None, True)]),
    ("Officials lobbied scores of ministers.", [("scores of ministers", "vague", None, None, True)]),
    ("He made millions of dollars abroad.", [("millions of dollars", "vague", None, "USD", True)]),
    ("The group spent millions on adverts.", [("millions", "vague", None, "USD", True)]),
    ("The purge removed perhaps tens of thousands of voters.",
     [("perhaps tens of thousands of voters", "vague", None, None, True)]),
    ("She should win by double digits.", [("double digits", "vague", None, "percentage points", True)]),
]

TALLIES = [
    ("The committee voted 19-15 to proceed.",
     [("19", "count", 19.0, None, False), ("15", "count", 15.0, None, False)]),
    ("By a 2-to-1 vote, the court agreed.",
     [("2", "count", 2.0, None, False), ("1", "count", 1.0, None, False)]),
    ("It will be read by 15 to 20 people.",
     [("15", "count", 15.0, None, False), ("20", "count", 20.0, None, False)]),
    ("The party holds 24 of the 34 seats.",
     [("24", "count", 24.0, None, False), ("34", "count", 34.0, None, False)]),
]


FLAGGED = COUNTS + PERCENTS + MONEY + SCALED + MEASURES + RATIOS + SIGNED + VAGUE + TALLIES


@pytest.mark.parametrize(("text", "expected"), FLAGGED, ids=[text for text, _ in FLAGGED])
def test_flags(text, expected):
    assert numbers(text) == expected


NOT_NUMBERS = [
    "The Boeing 737 Max was grounded before Labour's 2019 manifesto and a third term on Monday.",
    "The report came out on 8 Apr 2022 at 08:40.",
    "The summit opens on Sept. 11 and closes on March 22.",
    "A quarter of a century ago, and half a century before that, the mill closed.",
    "The poll ran from Sept. 16-19 and again from Oct. 3 to 6.",
    "The law dates from 1993 and was revised in the 1990s.",
    "The first days of the war were the worst; it was her second visit.",
    "He said it three months ago.",
    "The tape was made two weeks before the election.",
    "Over the past two or three weeks, nothing changed.",
    "The mayor resigned last week, and the council meets every four years.",
    "It was one side of the story, and one of the many reasons.",
    "No one else came; many agreed and most of them left, some in a decade.",
    "The Covid-19 rules, the G7 meeting and the F-16 crash made news.",
    "Title IX and 9/11 were debated near I-95 on Air Force One.",
    "Workers put money into a 401(k).",
    "She is 100 percent wrong about that.",
    "I agree 100 percent.",
    "This is the number one issue, and he was the number two official.",
    "He lives at 221 Baker Street; call 0800 123 4567 or (555) 555-0134.",
    "See page 12, section 4 and Article 50.",
    "It aired on SiriusXM Patriot 125 weekdays at 6 a.m.",
    "He was a four-star general facing a five-alarm crisis.",
    "She doubled down on her claim, a double standard.",
    "Sales were strong in the second half of the year.",
    "She won a third term.",
    "They met one-on-one at three o'clock.",
    "Her 'Electing Hillary in ’16' essay ran in the '90s.",
    "The tweet_id=\"778257943577919488\" was logged.",
    "Their 2-1 lead held in Group of Seven talks.",
]


@pytest.mark.parametrize("text", NOT_NUMBERS)
def test_not_numbers(text):
    found = numbers(text)
    if text.startswith("Their 2-1"):  # the score is a tally; the name is not a number
        assert [f[0] for f in found] == ["2", "1"]
    else:
        assert found == []


def test_a_span_of_time_placing_an_event_is_dropped_whole():
    assert numbers("The vote was six to eight weeks ago.") == []


def test_offsets_point_into_longer_text():
    text = "Officials said 400,000 civilians fled.\n\nAbout 60 servicemen refused, and 12% of units left."
    flags = find_numbers(text)
    assert [text[f.start:f.end] for f in flags] == ["400,000", "About 60", "12%"]
    assert flags == sorted(flags, key=lambda f: f.start)


def test_no_text_no_flags():
    assert find_numbers("") == []
    assert find_numbers("Nothing countable here.") == []


@pytest.mark.parametrize(("phrase", "value"), [
    ("1,351", 1351.0), ("4 1/2", 4.5), ("two hundred and fifty thousand", 250000.0), ("four-and-a-half", 4.5),
    ("half a million", 500000.0), ("a quarter of a million", 250000.0), ("two dozen", 24.0), ("3.5bn", 3.5e9),
    ("forty-three", 43.0), ("7½", 7.5),
])
def test_number_value(phrase, value):
    assert number_value(phrase) == value
