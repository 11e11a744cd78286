"""Where tensors go: the GPU when the container has one, the CPU otherwise."""


def cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()


def device():
    """Return `torch.device("cuda")` when a GPU is visible, else `torch.device("cpu")`.

    On the CPU it also caps torch's thread pool at the container's CPU quota.
    """
    import torch

    if cuda_available():
        return torch.device("cuda")
    from coursekit.threads import limit_cpu_threads

    limit_cpu_threads()
    return torch.device("cpu")
