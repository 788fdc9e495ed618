"""Score the real `claimdesk flag` command against every gold file, as the bars in eval/README.md are.

    .venv/bin/python bench/quality.py [--shared ../shared] [--errors] [--json FIGURES.json]

For each gold file in <shared>/eval (*.json, *.jsonl): writes its {"id", "text"} lines, runs
`claimdesk flag` on them, and prints the table of <shared>/eval/score.py under the file's name.
--errors passes through to the scorer; --json also writes every file's figures to one JSON file.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def gold_documents(path: Path) -> list[dict]:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    data = json.loads(text)
    return data if isinstance(data, list) else [data]


def flag(gold: Path, workdir: Path) -> Path:
    """Run `claimdesk flag` over the gold file's texts; the path of its predictions."""
    source = workdir / f"{gold.name}.input.jsonl"
    predictions = workdir / f"{gold.name}.flags.jsonl"
    source.write_text(
        "".join(json.dumps({"id": doc["id"], "text": doc["text"]}, ensure_ascii=False) + "\n"
                for doc in gold_documents(gold)),
        encoding="utf-8",
    )
    claimdesk = Path(sys.executable).parent / "claimdesk"
    subprocess.run([str(claimdesk), "flag", str(source), "-o", str(predictions)], check=True)
    return predictions


def score(scorer: Path, gold: Path, predictions: Path, *options: str) -> str:
    result = subprocess.run([sys.executable, str(scorer), str(gold), str(predictions), *options],
                            check=True, capture_output=True, text=True)
    return result.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared", help="the shared folder")
    parser.add_argument("--errors", action="store_true", help="list missed, spurious and mislabelled flags")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write every file's figures here")
    args = parser.parse_args()

    eval_dir = args.shared / "eval"
    scorer = eval_dir / "score.py"
    golds = sorted(p for p in eval_dir.iterdir() if p.suffix in (".json", ".jsonl"))
    if not golds:
        print(f"no gold files in {eval_dir}", file=sys.stderr)
        return 1
    figures = {}
    with tempfile.TemporaryDirectory(prefix="claimdesk-quality-") as tmp:
        for gold in golds:
            predictions = flag(gold, Path(tmp))
            print(f"== {gold.name} ==")
            print(score(scorer, gold, predictions, *(["--errors"] if args.errors else [])), end="")
            print()
            if args.json:
                figures[gold.name] = json.loads(score(scorer, gold, predictions, "--json"))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")
        print(f"figures written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
