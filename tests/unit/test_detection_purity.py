"""detection stays pure: detecting a sentence loads neither Flask, Celery nor SQLAlchemy."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, sys
from detection import clean_text, detect, split_claims
text = 'Peskov said: "We have significant losses." About 60 servicemen died, officials said.'
detect(text)
split_claims(clean_text(text).body, None)
frameworks = sorted({name.split(".")[0] for name in sys.modules} & {"flask", "celery", "sqlalchemy", "kombu"})
print(json.dumps({"frameworks": frameworks, "detection": "detection" in sys.modules}))
"""


def test_detection_imports_no_framework():
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["detection"] is True
    assert report["frameworks"] == []
