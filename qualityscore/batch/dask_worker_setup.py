"""Preloaded in the worker processes of the LocalCluster that `batch --engine dask` starts.

Ctrl-C in a terminal reaches every process of its group. The local engine's workers leave
it to the parent (``worker.pool_initializer``), which stops the run and keeps the finished
chunks; without this, each Dask worker process also took the KeyboardInterrupt and printed
80-odd lines of tracebacks while the parent was already shutting the cluster down.
"""

from __future__ import annotations

from typing import Any


def dask_setup(worker: Any) -> None:
    import signal
    import threading

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
