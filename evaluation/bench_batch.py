"""Benchmark `qualityscore batch`: throughput and peak memory of the whole process tree.

    python evaluation/bench_batch.py --sizes 1000 10000 100000

For each size it writes a JSONL queue of synthetic health-like records (80-150 words,
built from the templates below; no corpus needed), runs the local engine with 1 and 2
workers and the Dask engine (a LocalCluster of 2 workers) as a subprocess, and samples
the resident memory of that process and all its descendants (Dask nannies and workers,
pool workers) every 0.2 s. Prints a Markdown table and, when both were measured, the
ratio of peak memory at 100k to 10k records (flat memory means about 1).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CONDITIONS = (
    ("high blood pressure", "blood pressure", "your heart and kidneys"),
    ("type 2 diabetes", "blood sugar", "your eyes, feet and kidneys"),
    ("asthma", "your airways", "your breathing at night"),
    ("depression", "your mood", "your sleep and appetite"),
    ("migraine", "headaches", "your work and family life"),
    ("osteoarthritis", "joint pain", "how far you can walk"),
    ("eczema", "dry, itchy skin", "your sleep"),
    ("high cholesterol", "your cholesterol level", "your heart and blood vessels"),
)
SOUND = (
    "{C} is a common long-term condition, and many people manage it well with support.",
    "It often develops slowly, so regular check-ups matter even when you feel fine.",
    "Your doctor or nurse will explain how {m} is measured and what your results mean.",
    "Small changes such as eating more vegetables, moving every day and not smoking help.",
    "If you are prescribed medicine, take it as agreed and ask about possible side effects.",
    "Left untreated, {c} can affect {o} over time.",
    "A review at least once a year is a good moment to discuss how things are going.",
    "Talk to your doctor before you stop or change any treatment.",
    "This leaflet was reviewed by a clinical team and last updated in March.",
    "Contact your practice or an urgent care service if your symptoms suddenly get worse.",
    "Support groups and trained nurses can help you plan how to live well with {c}.",
)
SPAMMY = (
    "Top 10 secrets doctors hate: this miracle remedy cures {c} in days!",
    "Clinically proven and 100% safe, our herbal formula reverses {c} for good.",
    "Buy now for only $39.99 and get a second bottle free, call 555-0100 today!",
    "Studies show that nine out of ten people never need pills again.",
    "Big pharma does not want you to know this one simple trick for {m}.",
    "Order today, stocks are limited and the discount ends at midnight!",
)
SPUN = (
    "{C} is a typical lengthy-time period circumstance, and plenty of folks handle it nicely.",
    "Your physician or nurse will clarify how {m} is measured and what your outcomes imply.",
    "Small modifications equivalent to consuming extra greens assist loads.",
)


def make_record(i: int, rng: random.Random) -> dict[str, str]:
    cond, measure, organs = rng.choice(CONDITIONS)
    kind = rng.random()
    pool = SOUND if kind < 0.6 else (SOUND + SPAMMY if kind < 0.85 else SOUND + SPUN)
    words: list[str] = []
    sentences: list[str] = []
    target = rng.randint(80, 150)
    while len(words) < target:
        s = rng.choice(pool).format(C=cond.capitalize(), c=cond, m=measure, o=organs)
        sentences.append(s)
        words.extend(s.split())
    return {"id": f"rec-{i:07d}", "text": " ".join(sentences)}


def write_queue(path: Path, n: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8") as f:
        for i in range(n):
            f.write(json.dumps(make_record(i, rng)) + "\n")


def run_once(queue: Path, out: Path, engine: str, workers: int, chunk_size: int) -> dict:
    import psutil

    summary = out.with_suffix(".summary.json")
    cmd = [
        sys.executable, "-c", "from qualityscore.cli import main; main()", "batch",
        str(queue), "-o", str(out), "--engine", engine, "--workers", str(workers),
        "--chunk-size", str(chunk_size), "--summary-json", str(summary),
    ]
    start = time.monotonic()
    cpu_before = _children_cpu()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    parent = psutil.Process(proc.pid)
    peak = 0
    while proc.poll() is None:
        total = 0
        try:
            family = [parent, *parent.children(recursive=True)]
        except psutil.NoSuchProcess:
            break
        for p in family:
            try:
                total += p.memory_info().rss
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                pass
        peak = max(peak, total)
        time.sleep(0.2)
    stderr = proc.communicate()[1]
    elapsed = time.monotonic() - start
    cpu = _children_cpu() - cpu_before
    if proc.returncode not in (0, 2):
        raise SystemExit(f"batch failed ({proc.returncode}):\n{stderr}")
    s = json.loads(summary.read_text("utf-8"))
    return {"records": s["records"], "seconds": elapsed, "peak_rss": peak, "cpu_seconds": cpu}


def _children_cpu() -> float:
    """User + system CPU of finished children (and the descendants they waited for)."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


ENGINES = {"local-1": ("local", 1), "local-2": ("local", 2), "dask-2": ("dask", 2)}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--engines", nargs="+", default=list(ENGINES), choices=list(ENGINES))
    ap.add_argument("--chunk-size", type=int, default=500)
    ap.add_argument("--workdir", type=Path, default=None, help="Where queues and outputs go (default: a temp dir).")
    args = ap.parse_args(argv)

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="qs-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    results: dict[tuple[int, str], dict] = {}
    for n in args.sizes:
        queue = workdir / f"queue-{n}.jsonl"
        if not queue.exists():
            write_queue(queue, n)
        for name in args.engines:
            engine, workers = ENGINES[name]
            out = workdir / f"out-{n}-{name}.jsonl"
            r = run_once(queue, out, engine, workers, args.chunk_size)
            assert r["records"] == n, (r, n)
            results[(n, name)] = r
            print(f"{n:>7} {name:<8} {r['seconds']:7.1f} s  {n / r['seconds']:7.1f} rec/s  "
                  f"cpu {r['cpu_seconds']:7.1f} s  peak {r['peak_rss'] / 2**20:7.0f} MB",
                  file=sys.stderr, flush=True)
            out.unlink(missing_ok=True)

    print(f"load average at the end: {' / '.join(f'{x:.1f}' for x in os.getloadavg())}, "
          f"{os.cpu_count()} CPUs\n")
    print("| records | engine | workers | wall s | records/s | CPU ms/record | "
          "peak RSS, process tree (MB) |")
    print("|---:|---|---:|---:|---:|---:|---:|")
    for (n, name), r in results.items():
        engine, workers = ENGINES[name]
        print(f"| {n:,} | {engine} | {workers} | {r['seconds']:.1f} | {n / r['seconds']:.1f} | "
              f"{1000 * r['cpu_seconds'] / n:.1f} | {r['peak_rss'] / 2**20:.0f} |")
    for name in args.engines:
        small, big = results.get((10000, name)), results.get((100000, name))
        if small and big:
            print(f"\npeak RSS(100k)/peak RSS(10k), {name}: {big['peak_rss'] / small['peak_rss']:.2f}")


if __name__ == "__main__":
    main()
