"""The detector version changes whenever detection output changes, so stored flags name their rules.

The fingerprint is a hash of `detect()` over sentences written for this test. When it changes, bump
DETECTOR_VERSION in detection/pipeline.py and record the new fingerprint:

    .venv/bin/python tests/detection/test_version.py --record
"""
from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

from detection import DETECTOR_VERSION, detect

RECORD = Path(__file__).with_name("fingerprints.json")

SENTENCES = [
    "The mayor said the council would spend £2.4bn on housing over 10 years.",
    '"We were never told," a resident told reporters, adding that about 300 homes flooded.',
    "According to people familiar with the talks, the deal could be signed within weeks.",
    "Critics say the figure, up 12% on last year, is misleading.",
    "Officials who spoke on condition of anonymity said dozens of staff had quit.",
    "Unemployment fell by half a percentage point to 3.5 per cent, the agency reported.",
    "She called the plan 'reckless' and said it would cost $17 million a year.",
    "Turnout roughly doubled; one in five voters were under 30.",
    "It is understood that thousands of soldiers were moved to the border.",
    "«Nous restons prudents», a déclaré le ministre, cited by Le Monde.",
    "The committee voted 19-15 to approve the bill, Democrats on the panel said.",
    "He said: \"We have lost a great deal.\n\n\"But we will rebuild.\"",
    "Smith, 59, who has led the union since 2015, warned of strikes at 40 sites.",
    "The report, published by the Institute for Fiscal Studies, put the gap at 3.2 tonnes per head.",
    "Reportedly, as many as 19,000 troops had died, while Moscow admitted 1,351.",
    "Wages fell, the Institute for Fiscal Studies (IFS) think tank said, and Sen. Rand Paul (R-Ky.) agreed.",
    "A teacher, who cannot be named for legal reasons, told the court she was afraid.",
    "The firm, which employs 2,300 staff, said in a filing that it expected losses.",
    "About a third said no as temperatures fell to minus 12C and growth was -0.3%.",
    "According to the charity's chief executive, Sarah Jones, the cuts would be devastating.",
    "Critics in the Labour Party say researchers at Oxford University got it wrong.",
    "The economy added 150,000 jobs, figures released by the ONS show.",
    "Mr. Grassley and Mr. Leahy say the Commission on Presidential Debates says little.",
    "Some say police were slow; one said a source speaking to Fox News was wrong.",
    "Sky News understands the Associated Press reported it first.",
    "The Premier League's 20 clubs say costs rose by a fifth since 2021.",
    "The vote was close. Some say it was rigged.",
    "Mrs Jones, 72, from Leeds, told the Guardian she had waited 14 months.",
    "Debt interest rose to £8.2bn, economists at Capital Economics said.",
    "A quarter of a million people fled over a $5m contract, Southwark Crown Court heard.",
    'Its director, Paul Kerr, said the figures showed "a stealth tax". The CBO found it was "fragile".',
    "Sen. Ann Lee, D-N.Y., declined to comment; voters surveyed by YouGov said tens of thousands of care "
    "homes had no cooling.",
]


def fingerprint() -> str:
    output = [[f.to_dict() for f in detect(sentence)] for sentence in SENTENCES]
    return hashlib.sha256(json.dumps(output, sort_keys=True).encode("utf-8")).hexdigest()


def test_detector_output_is_recorded_under_the_current_version():
    recorded = json.loads(RECORD.read_text(encoding="utf-8"))
    current = fingerprint()
    assert DETECTOR_VERSION in recorded, (
        f"DETECTOR_VERSION {DETECTOR_VERSION} has no recorded fingerprint: run this file with --record")
    assert recorded[DETECTOR_VERSION] == current, (
        "detection output changed but DETECTOR_VERSION did not: bump it in detection/pipeline.py, "
        "then run this file with --record")


def test_each_recorded_version_has_its_own_output():
    recorded = json.loads(RECORD.read_text(encoding="utf-8"))
    assert len(set(recorded.values())) == len(recorded), "two versions recorded the same output"


def test_the_sentences_exercise_every_kind():
    kinds = {f.kind for sentence in SENTENCES for f in detect(sentence)}
    assert kinds == {"quote", "number", "sourcing"}


if __name__ == "__main__" and sys.argv[1:] == ["--record"]:
    recorded = json.loads(RECORD.read_text(encoding="utf-8")) if RECORD.exists() else {}
    recorded[DETECTOR_VERSION] = fingerprint()
    RECORD.write_text(json.dumps(recorded, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"recorded {DETECTOR_VERSION}: {recorded[DETECTOR_VERSION]}")
