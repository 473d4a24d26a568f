"""Scoring speed against textstat and datatrove, and start-up time, in one run.

    /work/venv/bin/python evaluation/benchmark.py            # (or .venv/bin/python)

Scores 2,000 documents of 600 words (evaluation/bench_corpus.py: MedQuAD answers read from
../shared/data at run time, a quarter spun and promoted; templates when the corpus is
absent) in one process:

* qualityscore: ``Scorer.load()`` once, then ``scorer.score(text)`` per document: text
  input, no I/O, every signal, the model and the findings;
* textstat: ``flesch_reading_ease + gunning_fog + smog_index`` per document;
* datatrove: ``GopherQualityFilter + C4QualityFilter + FineWebQualityFilter`` on datatrove
  ``Document``s, in a subprocess under evaluation/.bench-venv (created on first run with
  pinned ``datatrove``, ``spacy`` and ``regex``; datatrove is not a qualityscore
  dependency), timing only the filter calls (evaluation/bench_datatrove.py).

Then start-up: ``qualityscore --help``, and ``qualityscore score FILE.txt`` end to end
against ``python -c "import sklearn.linear_model"``, each repeated (interleaved) and
summarised by the median. The machine is shared: compare ratios measured in the same run,
not absolute numbers across runs. Writes evaluation/reports/benchmark.md and prints it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
BENCH_VENV = HERE / ".bench-venv"
# The datatrove baseline's environment, pinned so that runs compare. spaCy provides the
# English tokenizer datatrove uses (spacy.blank("en"): rules only, no model download).
BENCH_REQUIREMENTS = ("datatrove==0.10.1", "spacy==3.8.18", "regex==2026.11.15")
TARGETS = {"textstat": 3.0, "datatrove": 10.0, "help_s": 0.3, "score_vs_sklearn": 1.5}


# -- the baselines and qualityscore ---------------------------------------------------
def time_textstat(docs: list[str]) -> dict[str, float]:
    import textstat

    textstat.flesch_reading_ease("Warm up. The CMU dictionary loads on first use.")
    w0, c0 = time.perf_counter(), time.process_time()
    for text in docs:
        textstat.flesch_reading_ease(text)
        textstat.gunning_fog(text)
        textstat.smog_index(text)
    return {"wall_s": time.perf_counter() - w0, "cpu_s": time.process_time() - c0}


def time_qualityscore(docs: list[str]) -> dict[str, float]:
    from qualityscore import Scorer

    w0 = time.perf_counter()
    scorer = Scorer.load()
    load_s = time.perf_counter() - w0
    scorer.score("Warm up. This page is not one of the benchmark documents at all.")
    findings = 0
    w0, c0 = time.perf_counter(), time.process_time()
    for text in docs:
        findings += len(scorer.score(text).findings)
    out = {
        "wall_s": time.perf_counter() - w0,
        "cpu_s": time.process_time() - c0,
        "load_s": load_s,
        "findings": findings,
    }
    if hasattr(scorer, "score_pages"):  # batched model calls (crawl pipelines)
        w0, c0 = time.perf_counter(), time.process_time()
        batched = sum(len(r.findings) for r in scorer.score_many(docs))
        out["many_wall_s"], out["many_cpu_s"] = time.perf_counter() - w0, time.process_time() - c0
        assert batched == findings
    return out


def ensure_bench_venv() -> Path:
    """The datatrove venv: created and filled on first use (network), offline after."""
    python = BENCH_VENV / "bin" / "python"
    probe = [str(python), "-c", "import datatrove, spacy, regex"]
    if not (python.exists() and subprocess.run(probe, capture_output=True).returncode == 0):
        print(f"creating {BENCH_VENV} with {', '.join(BENCH_REQUIREMENTS)} ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(BENCH_VENV)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", *BENCH_REQUIREMENTS], check=True
        )
    # Keep the environment out of version control and of linters that honour .gitignore.
    ignore = BENCH_VENV / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n")
    return python


def time_datatrove(docs: list[str]) -> dict[str, object]:
    python = ensure_bench_venv()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "docs.json"
        path.write_text(json.dumps(docs), encoding="utf-8")
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONNOUSERSITE": "1"}
        env.pop("PYTHONPATH", None)
        run = subprocess.run(
            [str(python), str(HERE / "bench_datatrove.py"), str(path)],
            capture_output=True, text=True, env=env, cwd=tmp,
        )
    if run.returncode != 0:
        raise RuntimeError(f"datatrove baseline failed:\n{run.stderr[-2000:]}")
    return json.loads(run.stdout.strip().splitlines()[-1])


# -- start-up -------------------------------------------------------------------------
def _wall(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def time_startup(doc: str, repeats: int) -> dict[str, list[float]]:
    bindir = Path(sys.executable).parent
    cli = str(bindir / "qualityscore")
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "page.txt"
        page.write_text(doc, encoding="utf-8")
        cmds = {
            "help": [cli, "--help"],
            "score": [cli, "score", str(page)],
            "sklearn": [sys.executable, "-c", "import sklearn.linear_model"],
        }
        for cmd in cmds.values():  # one unmeasured run each: the OS file cache
            _wall(cmd)
        times: dict[str, list[float]] = {k: [] for k in cmds}
        for _ in range(repeats):  # interleaved, so that load changes hit all three
            for name, cmd in cmds.items():
                times[name].append(_wall(cmd))
    return times


# -- report ---------------------------------------------------------------------------
def _versions() -> str:
    from importlib.metadata import version

    names = ("qualityscore", "scikit-learn", "textstat", "numpy")
    return ", ".join(f"{n} {version(n)}" for n in names)


def render(n: int, origin: str, digest: str, qs: dict, ts: dict, dt: dict | None,
           dt_error: str | None, startup: dict[str, list[float]], repeats: int) -> str:
    def rate(d: dict, key: str) -> float:
        return n / d[key]

    def ok(passed: bool) -> str:
        return "met" if passed else "**not met**"

    lines = [
        "# qualityscore benchmark",
        "",
        f"Run {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')} on {platform.node() or 'this machine'}"
        f" ({os.cpu_count()} cores, shared; Python {platform.python_version()}; {_versions()}).",
        f"Documents: {n} of 600 words, {origin}; sha1 {digest[:12]}.",
        "One process, one thread pool each; ratios are between measurements of this run.",
        "",
        "| engine | what runs per document | docs/s (wall) | docs/s (CPU) | qualityscore / engine (wall) | (CPU) | target |",
        "|---|---|---|---|---|---|---|",
        f"| qualityscore | `scorer.score(text)`: all signals, model, findings | {rate(qs, 'wall_s'):.1f} | {rate(qs, 'cpu_s'):.1f} | | | |",
    ]
    if "many_wall_s" in qs:
        lines.append(
            f"| qualityscore, batched | `scorer.score_many(texts)`: the same, 64 pages per model call "
            f"| {rate(qs, 'many_wall_s'):.1f} | {rate(qs, 'many_cpu_s'):.1f} | | | (not a target) |"
        )
    r_ts_w, r_ts_c = ts["wall_s"] / qs["wall_s"], ts["cpu_s"] / qs["cpu_s"]
    lines.append(
        f"| textstat 0.7.8 | `flesch_reading_ease + gunning_fog + smog_index` | {rate(ts, 'wall_s'):.1f} "
        f"| {rate(ts, 'cpu_s'):.1f} | {r_ts_w:.2f}x | {r_ts_c:.2f}x | >= {TARGETS['textstat']:.0f}x: {ok(r_ts_w >= TARGETS['textstat'])} |"
    )
    if dt is not None:
        r_dt_w, r_dt_c = dt["wall_s"] / qs["wall_s"], dt["cpu_s"] / qs["cpu_s"]
        v = dt["versions"]
        lines.append(
            f"| datatrove {v['datatrove']} (spaCy {v['spacy']}) | `GopherQualityFilter + C4QualityFilter + FineWebQualityFilter` "
            f"| {rate(dt, 'wall_s'):.1f} | {rate(dt, 'cpu_s'):.1f} | {r_dt_w:.2f}x | {r_dt_c:.2f}x "
            f"| >= {TARGETS['datatrove']:.0f}x: {ok(r_dt_w >= TARGETS['datatrove'])} |"
        )
    else:
        lines.append(f"| datatrove | not run: {dt_error} | | | | | |")
    med = {k: statistics.median(v) for k, v in startup.items()}
    ratio = med["score"] / med["sklearn"]
    lines += [
        "",
        f"| start-up (median of {repeats}, interleaved) | seconds | ratio | target |",
        "|---|---|---|---|",
        f"| `qualityscore --help` | {med['help']:.3f} | | <= {TARGETS['help_s']} s: {ok(med['help'] <= TARGETS['help_s'])} |",
        f"| `qualityscore score page.txt` (one benchmark document), end to end | {med['score']:.3f} "
        f"| {ratio:.2f}x the import below | <= {TARGETS['score_vs_sklearn']}x: {ok(ratio <= TARGETS['score_vs_sklearn'])} |",
        f"| `python -c \"import sklearn.linear_model\"` | {med['sklearn']:.3f} | 1.00x | |",
        "",
        f"`Scorer.load()` took {qs['load_s']:.2f} s in this run (not in docs/s); "
        f"qualityscore reported {qs['findings']} findings on the {n} documents.",
    ]
    if dt is not None:
        per = ", ".join(f"{k} {n / s:.1f} docs/s" for k, s in dt["per_filter_wall_s"].items())
        kept = ", ".join(f"{k} {c}" for k, c in dt["kept"].items())
        lines.append(f"datatrove per filter (wall): {per}; documents kept: {kept}.")
        lines.append(
            "datatrove's English word and sentence splitting is its SpaCyTokenizer, i.e. "
            '`spacy.blank("en")` plus the `sentencizer`: rules only, no trained model, nothing '
            "downloaded (nltk is not installed and not used); the subprocess runs with "
            "HF_HUB_OFFLINE=1 and was checked with no network at all (`unshare -n`)."
        )
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=2000)
    ap.add_argument("--repeats", type=int, default=7, help="start-up repetitions")
    ap.add_argument("--no-datatrove", action="store_true")
    ap.add_argument("--out", type=Path, default=HERE / "reports" / "benchmark.md")
    args = ap.parse_args()

    from bench_corpus import build_documents

    docs, origin = build_documents(args.docs)
    digest = hashlib.sha1("\x00".join(docs).encode()).hexdigest()
    print(f"{len(docs)} documents: {origin}", file=sys.stderr)
    ts = time_textstat(docs)
    print(f"textstat {len(docs) / ts['wall_s']:.1f} docs/s", file=sys.stderr)
    qs = time_qualityscore(docs)
    print(f"qualityscore {len(docs) / qs['wall_s']:.1f} docs/s", file=sys.stderr)
    dt, dt_error = None, None
    if args.no_datatrove:
        dt_error = "--no-datatrove"
    else:
        try:
            dt = time_datatrove(docs)
            print(f"datatrove {len(docs) / dt['wall_s']:.1f} docs/s", file=sys.stderr)
        except (RuntimeError, OSError, subprocess.CalledProcessError) as exc:
            dt_error = str(exc).strip().splitlines()[-1]
    startup = time_startup(docs[1], args.repeats)
    report = render(len(docs), origin, digest, qs, ts, dt, dt_error, startup, args.repeats)
    report += f"\nCommand: `{sys.executable} evaluation/benchmark.py" + (
        " " + " ".join(sys.argv[1:]) if sys.argv[1:] else "") + "`\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report, encoding="utf-8")
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
