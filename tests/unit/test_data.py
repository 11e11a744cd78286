"""`course data` on the host: status, a fetch from a file:// mirror, export and import.

The hf-model fetcher needs nothing but urllib when it reads a mirror, so it runs here; every
kind's fetcher runs in the student image in tests/content/test_real_data.py.
"""

import hashlib
import json
import tarfile
from pathlib import Path

import yaml

from hub.cli import main

MANIFEST = {
    "default_data_dir": "/nonexistent/course-data",
    "entries": [
        {
            "name": "tiny-model",
            "kind": "hf-model",
            "source": "course/tiny-model",
            "target": "models/tiny-model",
            "marker": "config.json",
            "size_mb": 1,
            "labs": ["week01-pytorch-basics"],
        },
        {
            "name": "other-model",
            "kind": "hf-model",
            "source": "course/other-model",
            "target": "models/other-model",
            "marker": "config.json",
            "size_mb": 2,
            "labs": ["week02-mlp-from-scratch", "week03-training-dynamics"],
        },
    ],
}
FILES = {
    "config.json": b'{"model_type": "bert"}',
    "model.safetensors": b"\0" * 4096,
    "tokenizer.json": b"{}",
    "README.md": b"not a model file",
    "pytorch_model.bin": b"x",
}


def mirror(tmp_path: Path, names=("tiny-model", "other-model"), corrupt: str = "") -> str:
    base = tmp_path / "mirror"
    for name in names:
        folder = base / name
        folder.mkdir(parents=True, exist_ok=True)
        sums = []
        for file, content in FILES.items():
            (folder / file).write_bytes(content)
            digest = hashlib.sha256(content).hexdigest()
            sums.append(f"{'0' * 64 if file == corrupt else digest}  {file}")
        (folder / "SHA256SUMS").write_text("\n".join(sums) + "\n")
    return base.as_uri()


def course(tmp_path: Path) -> list[str]:
    manifest = tmp_path / "data-manifest.yml"
    manifest.write_text(yaml.safe_dump(MANIFEST))
    (tmp_path / "data").mkdir(exist_ok=True)
    return ["--manifest", str(manifest), "--data-dir", str(tmp_path / "data")]


def run(capsys, *argv) -> tuple[int, str]:
    action, rest = argv[0], argv[1:]
    rc = main(["data", action, *rest])
    captured = capsys.readouterr()
    return rc, captured.out + captured.err


def report(out: str) -> dict:
    return json.loads(out.splitlines()[-1].removeprefix("COURSE-DATA "))


def test_status_on_an_empty_folder_names_every_entry_missing(tmp_path, capsys):
    rc, out = run(capsys, "status", *course(tmp_path))
    assert rc == 1
    lines = out.splitlines()
    assert lines[1].split()[:3] == ["tiny-model", "hf-model", "missing"] and "(~1 MB)" in lines[1]
    assert lines[2].endswith("week02-mlp-from-scratch, week03-training-dynamics")
    assert lines[-1] == "0 present, 2 missing"


def test_fetch_from_a_mirror_then_status_present_and_a_second_fetch_fetches_nothing(
    tmp_path, capsys
):
    args = course(tmp_path)
    rc, out = run(capsys, "fetch", *args, "--mirror", mirror(tmp_path))
    assert rc == 0, out
    assert "tiny-model: fetched 4.1 KB" in out and report(out)["missing"] == []
    staged = tmp_path / "data" / "models" / "tiny-model"
    # only weights, config and tokenizer; a record of every file; nothing left in scratch
    assert sorted(p.name for p in staged.iterdir()) == [
        ".course-data.json",
        "config.json",
        "model.safetensors",
        "tokenizer.json",
    ]
    record = json.loads((staged / ".course-data.json").read_text())
    assert record["files"]["model.safetensors"]["size"] == 4096
    assert [p.name for p in (tmp_path / "data" / ".staging").iterdir()] == ["lock"]
    rc, out = run(capsys, "status", *args)
    assert rc == 0 and out.splitlines()[-1] == "2 present, 0 missing"
    assert " present " in out.splitlines()[1] and " KB " in out.splitlines()[1]
    rc, out = run(capsys, "fetch", *args, "--mirror", mirror(tmp_path))
    assert rc == 0 and report(out) == {
        "present": ["tiny-model", "other-model"],
        "fetched": [],
        "missing": [],
    }


def test_a_bad_checksum_or_an_absent_entry_is_missing_with_its_reason_and_retried(tmp_path, capsys):
    args = course(tmp_path)
    rc, out = run(
        capsys, "fetch", *args, "--mirror", mirror(tmp_path, ("tiny-model",), "model.safetensors")
    )
    assert rc == 1
    missing = {m["name"]: m for m in report(out)["missing"]}
    assert "model.safetensors: sha256" in missing["tiny-model"]["reason"]
    assert "other-model/SHA256SUMS" in missing["other-model"]["reason"]
    assert missing["other-model"]["labs"] == ["week02-mlp-from-scratch", "week03-training-dynamics"]
    assert "labs that fall back: week02-mlp-from-scratch" in out
    # nothing half-fetched is left where coursekit would look, so the next fetch tries again
    assert not (tmp_path / "data" / "models" / "tiny-model").exists()
    rc, out = run(capsys, "fetch", *args, "--mirror", mirror(tmp_path))
    assert rc == 0 and len(report(out)["fetched"]) == 2


def test_export_then_import_into_an_empty_folder(tmp_path, capsys):
    args = course(tmp_path)
    run(capsys, "fetch", *args, "--mirror", mirror(tmp_path))
    bundle = tmp_path / "course-data.tar"
    rc, out = run(capsys, "export", *args, str(bundle))
    assert rc == 0 and "2 entries" in out
    fresh = ["--manifest", args[1], "--data-dir", str(tmp_path / "airgapped")]
    (tmp_path / "airgapped").mkdir()
    rc, out = run(capsys, "import", *fresh, str(bundle))
    assert rc == 0, out
    assert "tiny-model: imported" in out
    rc, out = run(capsys, "status", *fresh)
    assert rc == 0 and out.splitlines()[-1] == "2 present, 0 missing"


def test_a_corrupt_bundle_is_refused_naming_the_entry_and_keeps_what_is_staged(tmp_path, capsys):
    args = course(tmp_path)
    run(capsys, "fetch", *args, "--mirror", mirror(tmp_path))
    good = tmp_path / "good.tar"
    run(capsys, "export", *args, str(good))
    bad = tmp_path / "bad.tar"
    with tarfile.open(good) as src, tarfile.open(bad, "w") as out:
        for member in src.getmembers():
            data = src.extractfile(member).read() if member.isfile() else None
            if member.name == "models/other-model/model.safetensors":
                data = b"\1" + data[1:]  # one flipped byte, same size
            out.addfile(
                member, fileobj=__import__("io").BytesIO(data) if data is not None else None
            )
    target = ["--manifest", args[1], "--data-dir", str(tmp_path / "airgapped")]
    (tmp_path / "airgapped").mkdir()
    run(capsys, "import", *target, str(good))
    staged = tmp_path / "airgapped" / "models" / "other-model"
    before = (staged / "model.safetensors").read_bytes()
    # an already staged entry is kept; into an empty folder, the corrupt entry is refused
    rc, out = run(capsys, "import", *target, str(bad))
    assert rc == 0 and "other-model: present, kept" in out
    assert (staged / "model.safetensors").read_bytes() == before
    empty = ["--manifest", args[1], "--data-dir", str(tmp_path / "empty")]
    (tmp_path / "empty").mkdir()
    rc, out = run(capsys, "import", *empty, str(bad))
    assert rc == 1
    assert "other-model: REFUSED, the bundle is corrupt: model.safetensors: sha256" in out
    assert "tiny-model: imported" in out
    assert not (tmp_path / "empty" / "models" / "other-model").exists()


def test_not_a_bundle_and_a_bad_manifest_are_clear_errors(tmp_path, capsys):
    args = course(tmp_path)
    junk = tmp_path / "junk.tar"
    junk.write_bytes(b"not a tar file")
    rc, out = run(capsys, "import", *args, str(junk))
    assert rc == 2 and f"{junk}: cannot read it as a bundle" in out
    manifest = tmp_path / "bad.yml"
    manifest.write_text(yaml.safe_dump({"entries": [{**MANIFEST["entries"][0], "kind": "ftp"}]}))
    rc, out = run(capsys, "status", "--manifest", str(manifest))
    assert rc == 2 and "entries[0] (tiny-model).kind" in out


def test_an_archive_member_outside_its_folder_is_refused(tmp_path):
    import io

    import pytest

    from hub.datafetch import FetchError, safe_members

    archive = tmp_path / "cifar-10-python.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for name in ("cifar-10-batches-py/batches.meta", "../outside"):
            info = tarfile.TarInfo(name)
            info.size = 1
            tar.addfile(info, io.BytesIO(b"x"))
    with tarfile.open(archive) as tar, pytest.raises(FetchError, match="'../outside'"):
        safe_members(tar, archive.name)
