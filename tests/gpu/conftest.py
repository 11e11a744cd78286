"""Fixtures for the GPU tests."""

from __future__ import annotations

import pytest

from hub.course import Gpu

from .builders import mig_gpu, plain_gpus


@pytest.fixture
def gpus() -> list[Gpu]:
    """Two whole GPUs and one split into 3 MIG slices."""
    return [*plain_gpus(2), mig_gpu(2, 3)]
