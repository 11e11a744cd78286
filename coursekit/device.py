"""Where tensors go: the GPU when the container has one, the CPU otherwise."""


def cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()


def device():
    """Return `torch.device("cuda")` when a GPU is visible, else `torch.device("cpu")`."""
    import torch

    return torch.device("cuda" if cuda_available() else "cpu")
