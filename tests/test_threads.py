"""Native thread pools limited to one thread while a page is scored, from many threads."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from threadpoolctl import threadpool_info

from qualityscore.threads import one_thread


def _blas_threads() -> list[int]:
    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]


@pytest.fixture()
def blas_pool() -> list[int]:
    """Each BLAS library's pool size, as the application left it (no limit of the test's
    own around it: a thread that holds a threadpoolctl limit is the only one whose
    changes OpenBLAS takes, which would hide the bug). NumPy's and SciPy's OpenBLAS can
    both be loaded; one of them on two threads or more is enough to tell."""
    import numpy  # noqa: F401  (loads the BLAS library that threadpoolctl looks for)

    sizes = _blas_threads()
    if not sizes or max(sizes) < 2:
        pytest.skip("needs a BLAS pool of two threads or more to tell one from the other")
    return sizes


def test_the_last_thread_out_restores_the_pool_not_the_first(blas_pool: list[int]) -> None:
    """Two threads inside at once: when the first leaves, the second still runs on one
    thread; when the second leaves, the pool is as it was."""
    inside, first_left, seen = threading.Event(), threading.Event(), []

    def second() -> None:
        with one_thread("blas"):
            inside.set()
            first_left.wait(10)
            seen.append(_blas_threads())

    with one_thread("blas"):
        t = threading.Thread(target=second)
        t.start()
        inside.wait(10)
        assert set(_blas_threads()) == {1}
    first_left.set()
    t.join(10)
    assert set(seen[0]) == {1}  # not restored under the second thread's feet
    assert _blas_threads() == blas_pool


def test_scoring_from_a_thread_pool_leaves_the_host_process_pool_as_it_found_it(
    scorer, blas_pool: list[int]  # type: ignore[no-untyped-def]
) -> None:
    """Overlapping limits used to restore in the wrong order and leave the application's
    BLAS on one thread for good (2 runs in 3 from a 4-thread pool). Results are the same as
    one at a time."""
    from qualityscore.model.corpora import labeled_pages

    pages = [s.content for s in labeled_pages()][:16]
    alone = [scorer.score(p).to_dict() for p in pages]
    for _ in range(3):
        with ThreadPoolExecutor(4) as pool:
            together = list(pool.map(lambda p: scorer.score(p).to_dict(), pages))
        assert _blas_threads() == blas_pool
        assert together == alone
