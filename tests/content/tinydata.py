"""A tiny data mirror in the sources' own formats, for every entry of labs/data-manifest.yml.

No network reaches CI, so the real MNIST, CIFAR-10, AG News, Cora, distilbert and SmolLM2 cannot
be fetched. This builds small stand-ins in exactly the files the sources publish (MNIST's gzipped
IDX files, CIFAR-10's tarball of pickled batches, AG News' Parquet splits, Planetoid's raw Cora
files, models written with save_pretrained), laid out as a data mirror
(`<mirror>/<entry>/<files>` with `SHA256SUMS`, hub/datafetch.py). The images are scikit-learn's
8x8 digits scaled up and the texts coursekit's synthetic headlines, so the labs can still learn.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import pickle
import random
import tarfile
from pathlib import Path

import numpy as np

CLASSES = ["World", "Sports", "Business", "Sci/Tech"]

# How much of each: "tiny" for CI (seconds to build, seconds to fetch), "real" the real data
# sets' sizes and the real models' shapes, for a GPU device run of every lab's full mode
# (benchmarks/gpu_device_run.sh: no network there either).
SIZES = {
    "tiny": dict(mnist=(1500, 400), cifar_batch=200, ag_news=(2000, 500),
                 cora=dict(features=120, n_all=600, n_test=100, n_train=70),
                 bert=dict(dim=64, n_layers=2, n_heads=4, hidden_dim=128),
                 llama=dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                            num_attention_heads=4, num_key_value_heads=2), vocab=(2000, 1000)),
    "real": dict(mnist=(60000, 10000), cifar_batch=10000, ag_news=(120000, 7600),
                 cora=dict(features=1433, n_all=1708, n_test=1000, n_train=140),
                 bert=dict(dim=768, n_layers=6, n_heads=12, hidden_dim=3072),
                 llama=dict(hidden_size=576, intermediate_size=1536, num_hidden_layers=30,
                            num_attention_heads=9, num_key_value_heads=3), vocab=(30522, 49152)),
}
SIZE = SIZES["tiny"]


def _digits(n: int, side: int, seed: int):
    """n digit images scaled from 8x8 to `side` x `side` (uint8) and their labels."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, len(digits.target), n)
    scale = side // 8
    images = np.kron(digits.images[pick], np.ones((scale, scale))) * (255 / 16)
    pad = (side - 8 * scale) // 2
    images = np.pad(images, ((0, 0), (pad, side - 8 * scale - pad), (pad, side - 8 * scale - pad)))
    return images.astype(np.uint8), digits.target[pick].astype(np.uint8)


def _idx(array: np.ndarray) -> bytes:
    magic = 0x0800 + array.ndim  # unsigned byte data, then the dimensions
    return gzip.compress(np.array([magic, *array.shape], dtype=">i4").tobytes() + array.tobytes())


def mnist(folder: Path) -> None:
    for prefix, n, seed in (("train", SIZE["mnist"][0], 0), ("t10k", SIZE["mnist"][1], 1)):
        images, labels = _digits(n, 28, seed)
        (folder / f"{prefix}-images-idx3-ubyte.gz").write_bytes(_idx(images))
        (folder / f"{prefix}-labels-idx1-ubyte.gz").write_bytes(_idx(labels))


def cifar10(folder: Path) -> None:
    names = [
        "airplane",
        "automobile",
        "bird",
        "cat",
        "deer",
        "dog",
        "frog",
        "horse",
        "ship",
        "truck",
    ]
    n = SIZE["cifar_batch"]
    members = {"batches.meta": {"label_names": names, "num_cases_per_batch": n}}
    for i, batch in enumerate([f"data_batch_{k}" for k in range(1, 6)] + ["test_batch"]):
        gray, labels = _digits(n, 32, seed=10 + i)
        tint = (
            np.array([[1.0, 0.6, 0.3]])[:, :, None, None]
            * (1 + labels[:, None, None, None] % 3)
            / 3
        )
        rgb = (gray[:, None] * tint).clip(0, 255).astype(np.uint8)  # (N, 3, 32, 32)
        members[batch] = {
            "batch_label": batch,
            "labels": labels.tolist(),
            "data": rgb.reshape(len(labels), 3072),
            "filenames": [f"{batch}-{k}.png" for k in range(len(labels))],
        }
    with tarfile.open(folder / "cifar-10-python.tar.gz", "w:gz") as tar:
        for name, content in members.items():
            raw = pickle.dumps(content, protocol=2)
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(raw)
            tar.addfile(info, io.BytesIO(raw))


def _headlines(n: int, seed: int):
    from coursekit.text import synthetic_headline

    rng = random.Random(seed)
    labels = [rng.randrange(4) for _ in range(n)]
    return [synthetic_headline(label, rng) for label in labels], labels


def ag_news(folder: Path) -> None:
    from datasets import ClassLabel, Dataset, Features, Value

    features = Features({"text": Value("string"), "label": ClassLabel(names=CLASSES)})
    (folder / "data").mkdir()
    for split, n, seed in (("train", SIZE["ag_news"][0], 0), ("test", SIZE["ag_news"][1], 1)):
        texts, labels = _headlines(n, seed)
        Dataset.from_dict({"text": texts, "label": labels}, features=features).to_parquet(
            str(folder / "data" / f"{split}-00000-of-00001.parquet")
        )


def cora(folder: Path) -> None:
    """Planetoid's raw files for a Cora-shaped graph: 7 classes, 70 labelled nodes, 600 in
    allx (PyG takes the 500 after the labelled ones as validation), 100 test nodes."""
    import scipy.sparse as sp

    rng = np.random.default_rng(0)
    classes, (features, n_all, n_test, n_train) = 7, SIZE["cora"].values()
    labels = rng.integers(0, classes, n_all + n_test)
    x = (rng.random((n_all + n_test, features)) < 0.03).astype(np.float32)
    for node, label in enumerate(labels):  # words typical of the node's class
        x[node, label * 15 + rng.integers(0, 15, 4)] = 1
    onehot = np.eye(classes, dtype=np.int64)[labels]
    graph = {node: [] for node in range(n_all + n_test)}
    for node in range(n_all + n_test):  # mostly same-class citations
        same = np.flatnonzero(labels == labels[node])
        for other in [*rng.choice(same, 3), rng.integers(0, n_all + n_test)]:
            if other != node:
                graph[node].append(int(other))
                graph[int(other)].append(node)
    test_nodes = np.arange(n_all, n_all + n_test)
    parts = {
        "x": sp.csr_matrix(x[:n_train]),
        "y": onehot[:n_train],
        "allx": sp.csr_matrix(x[:n_all]),
        "ally": onehot[:n_all],
        "tx": sp.csr_matrix(x[n_all:]),
        "ty": onehot[n_all:],
        "graph": graph,
    }
    for name, value in parts.items():
        (folder / f"ind.cora.{name}").write_bytes(pickle.dumps(value, protocol=2))
    (folder / "ind.cora.test.index").write_text(
        "\n".join(map(str, rng.permutation(test_nodes))) + "\n"
    )


def distilbert(folder: Path) -> None:
    from transformers import DistilBertConfig, DistilBertForMaskedLM

    from coursekit.vocab import train_wordpiece

    vocab = SIZE["vocab"][0]
    tokenizer = train_wordpiece(_headlines(2000, 0)[0], vocab_size=vocab, max_length=128)
    config = DistilBertConfig(vocab_size=max(len(tokenizer), vocab), **SIZE["bert"],
                              max_position_embeddings=512, pad_token_id=tokenizer.pad_token_id)
    _save(DistilBertForMaskedLM(config), tokenizer, folder)


def smollm2(folder: Path) -> None:
    from transformers import LlamaConfig, LlamaForCausalLM

    from coursekit.vocab import train_byte_bpe

    vocab = SIZE["vocab"][1]
    tokenizer = train_byte_bpe(_headlines(2000, 0)[0] + [f"Topic: {c}" for c in CLASSES] * 50,
                               vocab_size=vocab)
    # SmolLM2's own chat format (ChatML)
    tokenizer.chat_template = (
        "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
        "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
    )
    config = LlamaConfig(vocab_size=max(len(tokenizer), vocab), **SIZE["llama"],
                         max_position_embeddings=2048, tie_word_embeddings=True,
                         bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
                         pad_token_id=tokenizer.pad_token_id)
    _save(LlamaForCausalLM(config), tokenizer, folder)


def _save(model, tokenizer, folder: Path) -> None:
    """As the Hub holds a model: weights (safetensors), config and tokenizer files."""
    model.save_pretrained(str(folder))
    tokenizer.save_pretrained(str(folder))


BUILDERS = {
    "mnist": mnist,
    "cifar10": cifar10,
    "ag_news": ag_news,
    "cora": cora,
    "distilbert-base-uncased": distilbert,
    "SmolLM2-135M-Instruct": smollm2,
}


def build_mirror(mirror: Path, names) -> Path:
    """Build the tiny mirror for the manifest entries `names`; return its folder."""
    for name in names:
        folder = mirror / name
        folder.mkdir(parents=True)
        BUILDERS[name](folder)
        sums = [
            f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.relative_to(folder).as_posix()}"
            for p in sorted(folder.rglob("*"))
            if p.is_file()
        ]
        (folder / "SHA256SUMS").write_text("\n".join(sums) + "\n")
    return mirror


if (
    __name__ == "__main__"
):  # python -m tests.content.tinydata OUT [ENTRY...]: the deploy test's mirror
    import sys

    build_mirror(Path(sys.argv[1]), sys.argv[2:] or list(BUILDERS))
