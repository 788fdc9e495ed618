"""Generated news stories for batch tests and benchmarks: varied, realistic, every one different.

Each story is built from a dozen paragraph templates (council budgets, transport, health, courts, weather,
business, schools) filled with random places, people, figures and sources, so detection meets direct and
partial quotes, counts, percentages, money, measures, ratios, vague quantities and named, anonymous and
vague attributions, in varying order. `story(i, ...)` is deterministic for a given seed and index.
"""
from __future__ import annotations

import random

PLACES = ["Westbridge", "Harrowgate", "Lower Marsh", "Kingsferry", "Eastholme", "Millbrook", "Ashcombe",
          "Port Elwyn", "Danesford", "Highcliffe", "Sutton Vale", "Norbury Green"]
PEOPLE = [("Councillor Dana Reyes", "Reyes", "leader of the council"),
          ("Tom Okafor", "Okafor", "the transport secretary"),
          ("Dr Priya Nair", "Nair", "the county's director of public health"),
          ("Helen Moss", "Moss", "chief executive of the hospital trust"),
          ("Marcus Bell", "Bell", "the union's regional organiser"),
          ("Judge Alan Whitcombe", "Whitcombe", "the presiding judge"),
          ("Sofia Lindqvist", "Lindqvist", "an economist at the University of Danesford"),
          ("Inspector Ruth Adebayo", "Adebayo", "of the county police"),
          ("Graham Pryce", "Pryce", "the opposition finance spokesman"),
          ("Aisha Rahman", "Rahman", "head teacher at St Mary's primary school")]
TOPICS = [("bus fares", "passengers"), ("school places", "pupils"), ("flood defences", "homes"),
          ("hospital beds", "patients"), ("road repairs", "drivers"), ("social care", "families"),
          ("library hours", "readers"), ("housing repairs", "tenants")]
VAGUE = ["according to sources inside the council", "critics say", "officials said privately",
         "a report seen by this newspaper suggests", "people familiar with the plans said",
         "according to a senior official who asked not to be named", "some residents claim",
         "experts warn", "according to figures obtained under freedom of information rules"]
NAMED = ["according to the Office for National Statistics", "the Environment Agency said",
         "figures from the Department for Transport show", "the National Audit Office found",
         "according to the Local Government Association", "the Met Office said"]
VERBS = ["said", "told the meeting", "told reporters", "added", "warned", "insisted", "argued", "explained"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "September", "October",
          "November"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]


def _person(rng: random.Random) -> tuple[str, str, str]:
    return rng.choice(PEOPLE)


def _lead(rng, place, topic, unit):
    name, _, role = _person(rng)
    return (f"{place} will spend £{rng.randint(2, 90)} million more on {topic} next year, {name}, {role}, "
            f"announced on {rng.choice(WEEKDAYS)}, a rise of {rng.randint(3, 61)} per cent on last year and "
            f"the largest increase since {rng.randint(1995, 2019)}.")


def _quote(rng, place, topic, unit):
    _, surname, _ = _person(rng)
    count = rng.randint(120, 98000)
    return (f"\"We cannot keep asking {count:,} {unit} to wait for {topic} that were promised years ago,\" "
            f"{surname} {rng.choice(VERBS)}. \"This is the money we promised, and it will be spent in "
            f"{place}, not on consultants.\"")


def _figures(rng, place, topic, unit):
    return (f"Spending on {topic} fell from £{rng.randint(20, 60)}.{rng.randint(1, 9)} million in "
            f"{rng.randint(2010, 2016)} to £{rng.randint(8, 19)}.{rng.randint(1, 9)} million last year, "
            f"{rng.choice(NAMED)}. Over the same period the number of {unit} in the area grew by about "
            f"{rng.randint(4, 31)}%, to roughly {rng.randint(11, 240)},000.")


def _vague(rng, place, topic, unit):
    return (f"The plan was drawn up in {rng.randint(3, 11)} weeks, {rng.choice(VAGUE)}, and dozens of staff "
            f"will be hired. Thousands of {unit} have signed a petition asking for the money to be spent "
            f"faster, and {rng.choice(VAGUE)} that the timetable is unrealistic.")


def _partial(rng, place, topic, unit):
    name, surname, role = _person(rng)
    return (f"{name}, {role}, called the proposals \"a sticking plaster on a broken leg\" and said the "
            f"council had \"simply run out of road\" on {topic}. {surname} said one in {rng.randint(3, 9)} "
            f"{unit} in {place} already waited more than {rng.randint(2, 18)} weeks.")


def _measure(rng, place, topic, unit):
    return (f"Rainfall in {rng.choice(MONTHS)} reached {rng.randint(80, 260)}mm, {rng.choice(NAMED)}, "
            f"almost twice the average, and the river at {place} rose "
            f"{rng.randint(2, 6)}.{rng.randint(1, 9)} metres in {rng.randint(12, 40)} hours. About "
            f"{rng.randint(40, 900)} {unit} were affected.")


def _anonymous(rng, place, topic, unit):
    return (f"One senior councillor, who did not want to be named, said the deal had been \"stitched up "
            f"behind closed doors\" and that at least {rng.randint(3, 14)} members had threatened to resign. "
            f"A spokesperson for the council declined to comment on what they called speculation.")


def _court(rng, place, topic, unit):
    name, surname, role = _person(rng)
    return (f"At {place} Crown Court on {rng.choice(WEEKDAYS)}, {name}, {role}, said the contractor had "
            f"overcharged the council by £{rng.randint(100, 950)},000 over {rng.randint(2, 7)} years. "
            f"\"The sums involved are not small,\" {surname} said. The case continues.")


def _business(rng, place, topic, unit):
    _, surname, _ = _person(rng)
    return (f"Shares in Harbourline Group fell {rng.randint(2, 19)}.{rng.randint(0, 9)}% after it reported "
            f"a pre-tax loss of £{rng.randint(3, 80)}m for the six months to {rng.choice(MONTHS)}. Analysts "
            f"had expected a profit of about £{rng.randint(2, 30)}m. \"Nobody saw this coming,\" "
            f"{surname} told investors on a call, adding that {rng.randint(150, 1200)} jobs were at risk.")


def _schools(rng, place, topic, unit):
    return (f"Ofsted rated {rng.randint(2, 14)} of the {rng.randint(20, 60)} schools in {place} as requiring "
            f"improvement, {rng.choice(NAMED)}, while class sizes rose to an average of "
            f"{rng.randint(27, 34)} pupils. Teachers say a ratio of one assistant to {rng.randint(30, 90)} "
            f"children is \"not a serious plan\".")


def _opposition(rng, place, topic, unit):
    money = rng.randint(4, 60)
    name, surname, role = _person(rng)
    return (f"Opposition members said the figure was closer to £{money} million once inflation was counted. "
            f"\"They are announcing the same money twice,\" said {name}, {role}. Most of the increase, "
            f"{surname} argued, would be swallowed by rising energy bills.")


def _background(rng, place, topic, unit):
    return (f"{place} has had {rng.randint(3, 9)} council leaders in the past {rng.randint(10, 20)} years. "
            f"Its population of about {rng.randint(60, 400)},000 is older than the national average, and "
            f"nearly a quarter of {unit} live more than {rng.randint(2, 15)} miles from a hospital.")


PARAGRAPHS = [_quote, _figures, _vague, _partial, _measure, _anonymous, _court, _business, _schools,
              _opposition, _background]
HEADLINES = ["{place} plans {n}% rise in spending on {topic}",
             "Row over {topic} as {place} council faces £{m}m gap",
             "{n},000 {unit} hit by cuts to {topic}, figures show",
             "'We were not warned': anger in {place} over {topic}",
             "{place} {topic} plan 'a sticking plaster', critics say"]


def story_text(rng: random.Random, serial: str, target_chars: int = 4000) -> tuple[str, str]:
    """(headline, body) of a story of about `target_chars` characters; `serial` makes it unique."""
    place = rng.choice(PLACES)
    topic, unit = rng.choice(TOPICS)
    headline = rng.choice(HEADLINES).format(place=place, topic=topic, unit=unit, n=rng.randint(3, 60),
                                            m=rng.randint(2, 90))
    paragraphs = [_lead(rng, place, topic, unit)]
    length = len(paragraphs[0])
    while length < target_chars - 250:
        paragraph = rng.choice(PARAGRAPHS)(rng, place, topic, unit)
        paragraphs.append(paragraph)
        length += len(paragraph) + 2
    paragraphs.append(f"Reporting by the {place} newsdesk (story {serial}).")
    return headline, "\n\n".join(paragraphs)


def story(i: int, outlet: str, tag: str, rng: random.Random, target_chars: int = 4000) -> dict:
    """One POST /articles (or batch line) object."""
    headline, body = story_text(rng, f"{tag}-{i}", target_chars)
    return {"title": headline, "body": body, "outlet": outlet, "external_id": f"{tag}-{i}",
            "author": rng.choice(PEOPLE)[0], "published_at": f"2026-03-{1 + i % 28:02d}T08:00:00Z"}
