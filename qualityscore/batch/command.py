"""`qualityscore batch`: score a moderation queue (placeholder until the batch issue lands)."""

from __future__ import annotations

import click


@click.command()
@click.argument("input_path", metavar="INPUT")
@click.option("-o", "--output", required=True, help="Output file (JSONL, CSV or Parquet).")
def batch(input_path: str, output: str) -> None:
    """Score a queue of records (JSONL, CSV or Parquet) into decisions."""
    raise click.ClickException("batch is not implemented yet")
