"""Image classification data as tensors: MNIST or CIFAR-10 from the course data folder, with
scikit-learn's bundled 8x8 digits as the offline fallback."""

from dataclasses import dataclass

from coursekit.paths import SUBFOLDERS, announce, data_dir, find


@dataclass
class ImageData:
    """Images as float tensors (N, C, H, W) in [0, 1] and integer labels."""

    x_train: "torch.Tensor"  # noqa: F821 (torch is imported lazily)
    y_train: "torch.Tensor"  # noqa: F821
    x_test: "torch.Tensor"  # noqa: F821
    y_test: "torch.Tensor"  # noqa: F821
    classes: list[str]
    source: str

    @property
    def shape(self) -> tuple[int, int, int]:
        """(channels, height, width) of one image."""
        return tuple(self.x_train.shape[1:])


def load_images(
    name: str = "mnist", max_train: int | None = None, max_test: int | None = None, seed: int = 0
) -> ImageData:
    """Load `mnist` or `cifar10`; fall back to sklearn digits when the folder lacks them.

    max_train / max_test keep a random subset (smoke runs use small ones).
    """
    if name not in ("mnist", "cifar10"):
        raise ValueError(f"unknown image data set {name!r}; use 'mnist' or 'cifar10'")
    data = _from_torchvision(name) if find(name) else _digits(missing=name)
    data.x_train, data.y_train = _subset(data.x_train, data.y_train, max_train, seed)
    data.x_test, data.y_test = _subset(data.x_test, data.y_test, max_test, seed + 1)
    announce(
        "images",
        f"{data.source} -- {len(data.x_train)} train / {len(data.x_test)} test, shape {data.shape}",
    )
    return data


def _from_torchvision(name: str) -> ImageData:
    """The files torchvision downloads: MNIST's IDX files (read by torchvision), CIFAR-10's
    pickled batches (read here: torchvision's CIFAR10 re-hashes all 180 MB at every load)."""
    import torch

    root = data_dir() / "vision"
    if name == "mnist":
        import torchvision

        train = torchvision.datasets.MNIST(str(root), train=True, download=False)
        test = torchvision.datasets.MNIST(str(root), train=False, download=False)
        x_train, x_test = train.data.unsqueeze(1), test.data.unsqueeze(1)
        y_train, y_test, classes = train.targets, test.targets, list(train.classes)
    else:
        folder = data_dir() / SUBFOLDERS["cifar10"]
        x_train, y_train = _cifar_batches(folder, [f"data_batch_{i}" for i in range(1, 6)])
        x_test, y_test = _cifar_batches(folder, ["test_batch"])
        classes = _unpickle(folder / "batches.meta")["label_names"]
    label = "MNIST" if name == "mnist" else "CIFAR-10"
    return ImageData(
        x_train.float() / 255.0, torch.as_tensor(y_train, dtype=torch.long),
        x_test.float() / 255.0, torch.as_tensor(y_test, dtype=torch.long),
        list(classes), f"{label} from {root}",
    )


def _unpickle(path):
    import pickle

    with open(path, "rb") as f:
        return pickle.load(f, encoding="latin1")  # the batches were pickled by Python 2


def _cifar_batches(folder, names):
    """CIFAR-10 batches as uint8 (N, 3, 32, 32) and their labels."""
    import numpy as np
    import torch

    batches = [_unpickle(folder / name) for name in names]
    data = np.concatenate([b["data"] for b in batches]).reshape(-1, 3, 32, 32)
    labels = [label for b in batches for label in b["labels"]]
    return torch.from_numpy(data), labels


def _digits(missing: str) -> ImageData:
    import torch
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x = torch.tensor(digits.images, dtype=torch.float32).unsqueeze(1) / 16.0
    y = torch.tensor(digits.target, dtype=torch.long)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=0.25, random_state=0, stratify=y
    )
    folder = data_dir() / "vision"
    source = f"scikit-learn 8x8 digits (offline fallback: {missing} not found in {folder})"
    return ImageData(x_train, y_train, x_test, y_test, [str(d) for d in range(10)], source)


def _subset(x, y, limit: int | None, seed: int):
    import torch

    if limit is None or limit >= len(x):
        return x, y
    keep = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))[:limit]
    return x[keep], y[keep]
