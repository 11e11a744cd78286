"""Fetch one data manifest entry, in the student image (it has torchvision, datasets,
huggingface_hub and torch_geometric), into a scratch folder; hub/data.py moves the finished
folder into place, so a half-fetched entry is never taken as done.

Where the files come from:
- the public sources (torchvision's and Planetoid's URLs, the Hugging Face Hub; `HF_ENDPOINT`
  points huggingface_hub at a site's Hub proxy), checked against the checksums they publish
  (torchvision's MD5s; huggingface_hub checks its own downloads);
- or a **data mirror** (`--mirror URL`, env `COURSE_DATA_MIRROR`): a plain web or file tree
  holding, per entry, the files as the source publishes them under `<mirror>/<entry name>/`,
  with a `SHA256SUMS` file listing them (`sha256sum` format). Every file from a mirror is
  checked against it; a file the source needs and the mirror lacks is an error naming it.
"""

from __future__ import annotations

import gzip
import hashlib
import shutil
import tarfile
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

from hub.datamanifest import Entry

CHUNK = 1 << 20
TIMEOUT_S = 60

# The files a model needs to load with from_pretrained: weights, config, tokenizer. Nothing
# else (no pytorch_model.bin, ONNX, TF or Flax copies, READMEs): a fraction of the repo's size.
MODEL_FILES = (
    "config.json",
    "generation_config.json",
    "model.safetensors",
    "model-*-of-*.safetensors",
    "model.safetensors.index.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "added_tokens.json",
    "vocab.txt",
    "vocab.json",
    "merges.txt",
    "tokenizer.model",
    "chat_template.jinja",
)
PLANETOID_FILES = ("x", "tx", "allx", "y", "ty", "ally", "graph", "test.index")


class FetchError(RuntimeError):
    """An entry could not be fetched; the message says which file and why."""


@dataclass(frozen=True)
class Remote:
    """One file to download into `dest` (relative to the scratch folder)."""

    url: str
    dest: str
    sha256: str | None = None
    md5: str | None = None


class Mirror:
    """A site's copy of the sources: `<base>/<entry>/<file>` and `<base>/<entry>/SHA256SUMS`."""

    def __init__(self, base: str):
        self.base = base.rstrip("/")

    def files(self, entry: Entry) -> dict[str, str]:
        """File path -> sha256, as the mirror's SHA256SUMS for `entry` lists them."""
        url = f"{self.base}/{entry.name}/SHA256SUMS"
        try:
            with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:
                text = response.read().decode("utf-8")
        except (OSError, urllib.error.URLError) as err:
            raise FetchError(f"the mirror has no {url} ({_reason(err)})") from None
        listed = {}
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            digest, _, name = line.strip().partition(" ")
            name = name.strip().lstrip("*")
            if len(digest) != 64 or not name or ".." in name.split("/") or name.startswith("/"):
                raise FetchError(f"{url}: line {number} is not '<sha256>  <relative path>'")
            listed[name] = digest.lower()
        return listed

    def remotes(
        self,
        entry: Entry,
        wanted: list[str],
        dest: Callable[[str], str] = str,
        optional: bool = False,
    ):
        """The mirror's copies of the files `wanted` (names or patterns), each checked; a
        name the mirror lacks is an error unless `optional`."""
        listed = self.files(entry)
        out = []
        for want in wanted:
            found = [name for name in listed if fnmatch(name, want)]
            if not found and not optional and not any(c in want for c in "*?["):
                raise FetchError(
                    f"the mirror's {self.base}/{entry.name}/SHA256SUMS lacks {want}, "
                    f"which {entry.kind} {entry.source} needs"
                )
            out += [
                Remote(f"{self.base}/{entry.name}/{n}", dest(n), sha256=listed[n]) for n in found
            ]
        return out


def _reason(err: Exception) -> str:
    return str(getattr(err, "reason", None) or err)


def download(remote: Remote, folder: Path) -> int:
    """Download one file, check its announced size and its checksum; return its size."""
    path = folder / remote.dest
    path.parent.mkdir(parents=True, exist_ok=True)
    sha256, md5, size = hashlib.sha256(), hashlib.md5(usedforsecurity=False), 0
    try:
        with (
            urllib.request.urlopen(remote.url, timeout=TIMEOUT_S) as response,
            open(path, "wb") as out,
        ):
            announced = response.headers.get("Content-Length")
            while chunk := response.read(CHUNK):
                out.write(chunk)
                sha256.update(chunk)
                md5.update(chunk)
                size += len(chunk)
    except (OSError, urllib.error.URLError) as err:
        raise FetchError(f"{remote.url}: {_reason(err)}") from None
    if announced is not None and int(announced) != size:
        raise FetchError(f"{remote.url}: {size} bytes arrived of the {announced} announced")
    for name, expected, got in (("sha256", remote.sha256, sha256), ("md5", remote.md5, md5)):
        if expected and got.hexdigest() != expected:
            raise FetchError(
                f"{remote.url}: {name} {got.hexdigest()} is not the published {expected}"
            )
    return size


def download_all(remotes: list[Remote], folder: Path) -> None:
    for remote in remotes:
        download(remote, folder)


def _first_that_works(candidates: list[list[Remote]], folder: Path) -> None:
    """torchvision lists several mirrors for MNIST: try them in order."""
    errors = []
    for remotes in candidates:
        try:
            return download_all(remotes, folder)
        except FetchError as err:
            errors.append(str(err))
    raise FetchError("; ".join(errors))


def fetch_torchvision(entry: Entry, mirror: Mirror | None, work: Path) -> Path:
    import torchvision.datasets as tvd

    done = work / entry.library_folder
    if entry.source == "MNIST":
        files = list(tvd.MNIST.resources)  # [(name.gz, md5)]
        if mirror:
            _first_that_works(
                [mirror.remotes(entry, [n for n, _ in files], lambda n: f"raw/{n}")], done
            )
        else:
            _first_that_works(
                [
                    [Remote(base + n, f"raw/{n}", md5=md5) for n, md5 in files]
                    for base in tvd.MNIST.mirrors
                ],
                done,
            )
        for packed in (done / "raw").glob("*.gz"):  # torchvision reads the unpacked IDX files
            with gzip.open(packed) as src, open(packed.with_suffix(""), "wb") as out:
                shutil.copyfileobj(src, out)
            packed.unlink()
        return done
    # CIFAR10: one tarball holding cifar-10-batches-py/
    name = tvd.CIFAR10.filename
    remote = (
        mirror.remotes(entry, [name])
        if mirror
        else [Remote(tvd.CIFAR10.url, name, md5=tvd.CIFAR10.tgz_md5)]
    )
    download_all(remote, work)
    with tarfile.open(work / name) as tar:
        tar.extractall(work, members=safe_members(tar, name))
    (work / name).unlink()
    if not done.is_dir():
        raise FetchError(f"{name} holds no {entry.library_folder}/ folder")
    return done


def safe_members(tar: tarfile.TarFile, name: str) -> list[tarfile.TarInfo]:
    """Plain files and folders inside the extraction folder, or an error naming the member
    (Debian 12's Python 3.11.2 predates tarfile's `filter="data"`)."""
    members = tar.getmembers()
    for member in members:
        parts = Path(member.name).parts
        if not (member.isfile() or member.isdir()) or member.name.startswith("/") or ".." in parts:
            raise FetchError(f"{name}: refusing {member.name!r}, not a file or folder inside")
    return members


def fetch_hf_dataset(entry: Entry, mirror: Mirror | None, work: Path) -> Path:
    """The Hub's Parquet files of the data set, loaded and written with save_to_disk."""
    source = work / "source"
    if mirror:
        download_all(mirror.remotes(entry, ["*.parquet"]), source)
    else:
        from huggingface_hub import snapshot_download

        snapshot_download(
            entry.source, repo_type="dataset", allow_patterns=["*.parquet"], local_dir=str(source)
        )
    splits: dict[str, list[str]] = {}
    for path in sorted(source.rglob("*.parquet")):
        # data/train-00000-of-00001.parquet -> train
        splits.setdefault(path.name.split("-")[0].split(".")[0], []).append(str(path))
    if not splits:
        raise FetchError(f"{entry.source} has no Parquet files")
    from datasets import load_dataset

    dataset = load_dataset("parquet", data_files=splits, cache_dir=str(work / "cache"))
    done = work / "saved"
    dataset.save_to_disk(str(done))
    return done


def fetch_hf_model(entry: Entry, mirror: Mirror | None, work: Path) -> Path:
    done = work / "model"
    if mirror:
        download_all(mirror.remotes(entry, list(MODEL_FILES), optional=True), done)
    else:
        from huggingface_hub import snapshot_download

        snapshot_download(entry.source, allow_patterns=list(MODEL_FILES), local_dir=str(done))
        shutil.rmtree(done / ".cache", ignore_errors=True)  # huggingface_hub's bookkeeping
    if not (done / "config.json").is_file() or not list(done.glob("*.safetensors")):
        raise FetchError(f"{entry.source} has no config.json and safetensors weights")
    return done


def fetch_planetoid(entry: Entry, mirror: Mirror | None, work: Path) -> Path:
    """The raw files, then PyG's processed/ written here (the shared folder is read-only)."""
    from torch_geometric.datasets import Planetoid

    names = [f"ind.{entry.source.lower()}.{part}" for part in PLANETOID_FILES]
    done = work / entry.source
    remotes = (
        mirror.remotes(entry, names, lambda n: f"raw/{n}")
        if mirror
        else [Remote(f"{Planetoid.url}/{n}", f"raw/{n}") for n in names]
    )
    download_all(remotes, done)
    Planetoid(str(work), entry.source)  # reads raw/, writes processed/
    return done


FETCHERS = {
    "torchvision": fetch_torchvision,
    "hf-dataset": fetch_hf_dataset,
    "hf-model": fetch_hf_model,
    "pyg-planetoid": fetch_planetoid,
}


def fetch_entry(entry: Entry, mirror: Mirror | None, work: Path) -> Path:
    """Fetch `entry` into `work`; return the complete folder (its marker checked)."""
    done = FETCHERS[entry.kind](entry, mirror, work)
    if not (done / entry.marker).exists():
        raise FetchError(f"fetched, but its marker {entry.marker} is not there")
    return done
