"""Image classification data as tensors: MNIST or CIFAR-10 from the course data folder, with
scikit-learn's bundled 8x8 digits as the offline fallback."""

from dataclasses import dataclass

from coursekit.paths import announce, data_dir, find


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
    import torch
    import torchvision

    root = data_dir() / "vision"
    cls = torchvision.datasets.MNIST if name == "mnist" else torchvision.datasets.CIFAR10
    train = cls(str(root), train=True, download=False)
    test = cls(str(root), train=False, download=False)

    def to_tensors(ds):
        x = torch.as_tensor(ds.data)
        x = x.unsqueeze(1) if x.ndim == 3 else x.permute(0, 3, 1, 2)  # -> (N, C, H, W)
        return x.float() / 255.0, torch.as_tensor(ds.targets, dtype=torch.long)

    x_train, y_train = to_tensors(train)
    x_test, y_test = to_tensors(test)
    label = "MNIST" if name == "mnist" else "CIFAR-10"
    return ImageData(x_train, y_train, x_test, y_test, list(train.classes), f"{label} from {root}")


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
