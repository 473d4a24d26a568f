"""Helpers for the batch tests: small queues written by this project, in every format."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from qualityscore.cli import main

GOOD = (
    "High blood pressure often has no symptoms, so have it checked at least once a year. "
    "Eating less salt, staying active and not smoking all help. If you are prescribed "
    "medicine, take it every day. Talk to your doctor before you stop any treatment."
)
SPUN = (
    "Top 10 Secrets Doctors Hate! This miracle remedy is clinically proven to cure despair "
    "and blood strain in days. 100% safe. Buy now for only $49.99 or call 555-123-4567 today!"
)
GOOD_HTML = (
    "<html><head><title>Living with asthma</title></head><body><article><h1>Living with "
    "asthma</h1><p>Asthma is a long-term condition of the airways. Use your preventer "
    "inhaler every day, even when you feel well, and keep your reliever with you.</p>"
    "<p>See your nurse once a year to review your asthma plan.</p></article></body></html>"
)
SPAM_HTML = (
    "<html><body><h1>Cure diabetes naturally!</h1><p>Studies show this herbal tea cures "
    "diabetes. <a href='https://shop.example.com/buy?aff=123'>Buy the tea</a> now and get "
    "50% off. Doctors are stunned!</p></body></html>"
)
TEXTS = (GOOD, SPUN, GOOD_HTML, SPAM_HTML)


def make_records(n: int) -> list[dict[str, Any]]:
    """``n`` records cycling through the texts above, each with an id, a title and a number."""
    return [
        {"id": f"q{i:04d}", "text": f"{TEXTS[i % len(TEXTS)]} Note {i}.", "title": f"t{i}", "n": i}
        for i in range(n)
    ]


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    with open(path, "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r) + "\n")
    return path


def write_csv(path: Path, records: list[dict[str, Any]]) -> Path:
    columns = list(dict.fromkeys(k for r in records for k in r))
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=columns)
        w.writeheader()
        w.writerows(records)
    return path


def write_parquet(path: Path, records: list[dict[str, Any]]) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.Table.from_pylist(records), path, row_group_size=7)
    return path


WRITERS = {"jsonl": write_jsonl, "csv": write_csv, "parquet": write_parquet}


def read_rows(path: Path, fmt: str | None = None) -> list[dict[str, Any]]:
    """Output rows as dicts; CSV cells come back as strings."""
    fmt = fmt or path.suffix.lstrip(".")
    if fmt == "jsonl":
        return [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    if fmt == "csv":
        with open(path, encoding="utf-8", newline="") as f:
            return list(csv.DictReader(f))
    import pyarrow.parquet as pq

    return pq.read_table(path).to_pylist()


def run_batch(*args: str, input: bytes | None = None):  # type: ignore[no-untyped-def]
    """`qualityscore batch ...` in this process (the model is loaded once per process)."""
    return CliRunner().invoke(main, ["batch", *args], input=input, catch_exceptions=False)


def key_values(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(r["id"], r["score"], r["decision"], r["error_type"]) for r in rows]
