"""Shared fixtures: a tiny hand-made vector set and the real GloVe vectors when installed."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import settings

import tokenvec as tv

# Tests write only under tmp_path: no example database in the working directory.
settings.register_profile("tokenvec", database=None)
settings.load_profile("tokenvec")


@pytest.fixture
def tiny() -> tv.Vectors:
    """Five words in 2-D: king/queen and man/woman form a parallelogram."""
    keys = ["king", "queen", "man", "woman", "apple"]
    mat = np.array([[3, 3], [3, 5], [1, 0], [1, 2], [-4, 1]], dtype=np.float32)
    return tv.Vectors(keys, mat)


@pytest.fixture(scope="session")
def glove() -> tv.Vectors:
    pytest.importorskip("pyarrow")
    try:
        return tv.load("glove-6b-50d")
    except ModuleNotFoundError as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def random_vectors() -> tv.Vectors:
    rng = np.random.default_rng(0)
    keys = [f"w{i}" for i in range(3000)]
    return tv.Vectors(keys, rng.standard_normal((3000, 16)).astype(np.float32))
