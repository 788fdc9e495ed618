"""Check the detection pipeline against its bars: ≥ 500,000 chars/s, `claimdesk flag` ≤ 150 MB peak.

    .venv/bin/python bench/speed.py [--shared ../shared] [--runs 5]

Times clean_text -> split_claims -> detect over the PolNeAR dev texts on one core (median of the runs,
with a per-stage breakdown), then runs `claimdesk flag` over the same texts in a subprocess and reports its
peak resident memory. Exits 1 when a bar is missed.
"""
from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from detection import clean_text, detect, split_claims  # noqa: E402

DEV_SET = "eval/polnear-dev.jsonl"
MIN_CHARS_PER_SECOND = 500_000
MAX_PEAK_MIB = 150
STAGES = ("clean_text", "split_claims", "detect")


def load_texts(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        return [{"id": row["id"], "text": row["text"]} for row in map(json.loads, fh) if row]


def time_pipeline(texts: list[str]) -> dict[str, float]:
    """Seconds spent in each stage over all texts, one pass."""
    spent = dict.fromkeys(STAGES, 0.0)
    clock = time.perf_counter
    for text in texts:
        t0 = clock()
        article = clean_text(text)
        t1 = clock()
        split_claims(article.body, article.title)
        t2 = clock()
        detect(article.body)
        t3 = clock()
        spent["clean_text"] += t1 - t0
        spent["split_claims"] += t2 - t1
        spent["detect"] += t3 - t2
    return spent


def peak_rss_of_flag(rows: list[dict[str, str]]) -> float:
    """Peak resident memory, in MiB, of `claimdesk flag` over ``rows``."""
    claimdesk = Path(sys.executable).parent / "claimdesk"
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "input.jsonl"
        source.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows),
                          encoding="utf-8")
        subprocess.run([str(claimdesk), "flag", str(source), "-o", str(Path(tmp) / "flags.jsonl")],
                       check=True)
    # Linux reports ru_maxrss in KiB; this process has waited for no other child.
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared", help="the shared folder")
    parser.add_argument("--runs", type=int, default=5, help="timed passes over the texts (median reported)")
    args = parser.parse_args()

    rows = load_texts(args.shared / DEV_SET)
    texts = [row["text"] for row in rows]
    chars = sum(map(len, texts))
    time_pipeline(texts[:5])  # warm-up: first-call regex compilation and imports are not throughput
    runs = [time_pipeline(texts) for _ in range(args.runs)]

    print(f"{len(texts)} texts, {chars:,} characters, median of {args.runs} runs")
    for stage in STAGES:
        seconds = statistics.median(run[stage] for run in runs)
        print(f"  {stage:13} {seconds * 1000:8.1f} ms  {chars / seconds:>14,.0f} chars/s")
    cleaning = statistics.median(run["clean_text"] + run["split_claims"] for run in runs)
    total = statistics.median(sum(run.values()) for run in runs)
    print(f"  {'clean+split':13} {cleaning * 1000:8.1f} ms  {chars / cleaning:>14,.0f} chars/s")
    print(f"  {'pipeline':13} {total * 1000:8.1f} ms  {chars / total:>14,.0f} chars/s")

    peak = peak_rss_of_flag(rows)
    print(f"claimdesk flag peak RSS: {peak:.1f} MiB")

    speed_ok = chars / total >= MIN_CHARS_PER_SECOND
    memory_ok = peak <= MAX_PEAK_MIB
    print(f"SUMMARY pipeline {chars / total:,.0f} chars/s (bar {MIN_CHARS_PER_SECOND:,}: "
          f"{'ok' if speed_ok else 'MISSED'}); claimdesk flag peak {peak:.1f} MiB "
          f"(bar {MAX_PEAK_MIB}: {'ok' if memory_ok else 'MISSED'})")
    return 0 if speed_ok and memory_ok else 1


if __name__ == "__main__":
    sys.exit(main())
