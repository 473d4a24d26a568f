"""Batch jobs: score a moderation queue (JSONL, CSV, Parquet) locally or on Dask.

``records`` reads inputs in chunks, ``worker`` scores a chunk with a once-per-process
model, ``parts`` makes the output crash-safe and resumable, ``runner`` drives an engine,
``command`` is the click front end. Nothing heavy is imported from here.
"""
