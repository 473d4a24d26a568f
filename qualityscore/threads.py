"""One thread for a native library's pool (BLAS, OpenMP) while a page is scored, safely
from many threads at once.

threadpoolctl's limits are process-wide: a ``limit`` context sets the pool's size and
restores what it found when it exits. Two overlapping contexts in two threads restore in
the wrong order, and the process is left on one thread for good (seen scoring from a
4-thread pool: the host application's BLAS stayed at 1 thread in two runs of three), or a
page runs with the full pool while another thread has just restored it. Here the first
thread in sets the limit, later ones share it, and the last one out restores the original.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_lock = threading.Lock()
_controller: Any = None
_held: dict[str, tuple[int, Any]] = {}  # user_api -> (threads inside, the limiter to restore)


@contextmanager
def one_thread(user_api: str) -> Iterator[None]:
    """While inside, ``user_api``'s pools ("blas" or "openmp") run on one thread."""
    global _controller
    with _lock:
        if _controller is None:
            from threadpoolctl import ThreadpoolController

            _controller = ThreadpoolController()
        count, limiter = _held.get(user_api, (0, None))
        if count == 0:
            limiter = _controller.limit(limits=1, user_api=user_api)
            _release_openblas()
        _held[user_api] = (count + 1, limiter)
    try:
        yield
    finally:
        with _lock:
            count, limiter = _held[user_api]
            if count == 1:
                del _held[user_api]
                limiter.restore_original_limits()  # perhaps from another thread than set it
                _release_openblas()
            else:
                _held[user_api] = (count - 1, limiter)


def _release_openblas() -> None:
    """threadpoolctl (3.5 and later) lets only the thread that last set OpenBLAS's
    process-wide pool change it until that thread's own ``with`` block ends; a change from
    any other thread is silently ignored. The limit here is shared, and the thread that
    restores it is the last one out, not the one that set it: so the claim is released
    after each change (under this module's lock, the only place that makes them)."""
    from threadpoolctl import OpenBLASController

    clear = getattr(OpenBLASController, "clear_controlling_thread", None)
    if clear is not None:
        clear(force=True)
