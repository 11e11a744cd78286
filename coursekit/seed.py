"""Seed every random number generator a lab touches, so reruns give the same numbers."""

import random


def seed_everything(seed: int = 0) -> None:
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device
