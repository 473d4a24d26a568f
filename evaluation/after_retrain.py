"""Every report a retrain moves, regenerated in order, one job at a time.

When the signals, the lexicon or the training data change, the model is retrained and
every figure the README, the model card and RESULTS.md quote must be measured again on
it. This runs those measurements in the order they depend on each other (the card's
evaluation before the gate, which reads it), one after another (each is CPU-bound and
several use both cores: two at once only slows both), stops at the first that fails, and
says how to resume from it. The last step checks the README's figures against the new
reports (``tests/test_readme.py``); a failure there names each figure to update.

Run from the project root (needs ../shared/data). Without ``--train`` it took 49 minutes
on this 2-core machine (2026-12-08, on the shipped model: every report came out the same
to the digit, only run times and timestamps differed); ``qualityscore train`` adds about
six:

    python evaluation/after_retrain.py [--train] [--from STEP] [--only STEP ...] [--dry-run]
                                       [--log FILE.json]

``--train`` retrains the shipped model first (``qualityscore train``); without it the
reports are remade for the model on disk. ``--from`` resumes at a step (``--from train``
retrains), ``--only`` runs the steps named, ``--dry-run`` prints the commands. ``--log`` writes each step's command,
exit code and seconds as JSON. Not run by tests (only its step list and its stop-and-
resume logic are, ``tests/test_after_retrain.py``).
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
CLI = [PY, "-m", "qualityscore"]


def script(name: str, *args: str) -> list[str]:
    return [PY, f"evaluation/{name}.py", *args]


# (step name, command). The order is the dependency order: the card's evaluation before the
# gate (which checks the card's evaluation of this model), the README check last.
STEPS: tuple[tuple[str, list[str]], ...] = (
    ("train", [*CLI, "train"]),
    ("evaluate", [*CLI, "evaluate", "--out", "evaluation/reports", "--update-card"]),
    ("spin_heldout", script("spin_heldout", "--docs", "200")),
    ("foreign_spinner", script("foreign_spinner")),
    ("foreign_spinner_aiksaurus", script("foreign_spinner", "--thesaurus", "aiksaurus")),
    ("foreign_spinner_healthstory", script("foreign_spinner", "--source", "healthstory")),
    ("foreign_spinner_aiksaurus_healthstory",
     script("foreign_spinner", "--thesaurus", "aiksaurus", "--source", "healthstory")),
    ("foreign_spinner_news", script("foreign_spinner", "--source", "news")),
    ("spin_evidence", script("spin_evidence", "--all-rules")),
    ("false_alarms", script("false_alarms")),
    ("short_pages", script("short_pages")),
    ("gate", [*CLI, "evaluate", "--gate"]),
    ("spin_register", script("spin_register")),
    ("pair_fluency", script("pair_fluency")),
    ("cv_noise", script("cv_noise")),
    ("research_prose", script("research_prose")),
    ("lexicon_holdout", script("lexicon_holdout")),
    ("readme", [PY, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_readme.py"]),
)
NAMES = tuple(name for name, _ in STEPS)


def select(*, train: bool, start: str | None, only: Sequence[str]) -> list[tuple[str, list[str]]]:
    """The steps to run, in order. Raises ValueError naming an unknown step."""
    for name in (*([start] if start else []), *only):
        if name not in NAMES:
            raise ValueError(f"no step {name!r}; the steps are: {', '.join(NAMES)}")
    if only:
        return [s for s in STEPS if s[0] in only]
    first = NAMES.index(start) if start else (0 if train else 1)  # STEPS[0] is the retrain
    return list(STEPS[first:])


def _run(cmd: list[str]) -> int:
    return subprocess.call(cmd, cwd=ROOT)


def run(steps: Sequence[tuple[str, list[str]]], *, runner: Callable[[list[str]], int] = _run,
        say: Callable[[str], None] = lambda s: print(s, file=sys.stderr, flush=True)) -> tuple[int, list[dict]]:
    """Run ``steps`` one after another; stop at the first that exits non-zero. Returns
    that exit code (0 when all passed) and one record per step run."""
    log: list[dict] = []
    for i, (name, cmd) in enumerate(steps):
        say(f"[{i + 1}/{len(steps)}] {name}: {shlex.join(cmd)}")
        t0 = time.time()
        code = runner(cmd)
        log.append({"step": name, "command": shlex.join(cmd), "exit_code": code,
                    "seconds": round(time.time() - t0, 1)})
        if code != 0:
            say(f"{name} failed (exit {code}); fix it, then resume with: "
                f"python evaluation/after_retrain.py --from {name}")
            return code, log
        say(f"{name}: done in {log[-1]['seconds']:.0f} s")
    return 0, log


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--train", action="store_true", help="retrain the shipped model first")
    ap.add_argument("--from", dest="start", metavar="STEP", help=f"resume at this step ({', '.join(NAMES)})")
    ap.add_argument("--only", action="append", default=[], metavar="STEP", help="run only this step (repeatable)")
    ap.add_argument("--dry-run", action="store_true", help="print the commands, run nothing")
    ap.add_argument("--log", type=Path, default=None, help="write each step's exit code and seconds here (JSON)")
    args = ap.parse_args(argv)
    try:
        steps = select(train=args.train, start=args.start, only=args.only)
    except ValueError as exc:
        print(f"after_retrain: {exc}", file=sys.stderr)
        return 2
    if args.dry_run:
        for name, cmd in steps:
            print(f"{name}: {shlex.join(cmd)}")
        return 0
    code, log = run(steps)
    if args.log is not None:
        args.log.parent.mkdir(parents=True, exist_ok=True)
        args.log.write_text(json.dumps({"exit_code": code, "steps": log}, indent=2) + "\n", encoding="utf-8")
    return code


if __name__ == "__main__":
    raise SystemExit(main())
