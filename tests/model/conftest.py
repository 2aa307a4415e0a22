"""Fixtures of the scoring-core tests."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from threadpoolctl import threadpool_limits


@pytest.fixture(scope="session", autouse=True)
def single_threaded_blas() -> Iterator[None]:
    """One BLAS thread: the estimators' matrices are small, and on a shared 2-core machine
    OpenBLAS threads fighting over cores make a fit ~50× slower (45 s instead of 1 s)."""
    with threadpool_limits(limits=1):
        yield
