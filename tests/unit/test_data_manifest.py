"""labs/data-manifest.yml: one reader (hub/datamanifest.py), every problem named by its entry."""

import copy
import json
from pathlib import Path

import pytest
import yaml

from coursekit import paths
from hub.cli import collect_problems
from hub.datamanifest import (
    ManifestError,
    data_problems,
    lab_data_uses,
    load_manifest,
    parse_manifest,
)

ROOT = Path(__file__).resolve().parents[2]
LABS = ROOT / "labs"
REAL = yaml.safe_load((LABS / "data-manifest.yml").read_text())


def problems_of(data) -> list[str]:
    with pytest.raises(ManifestError) as caught:
        parse_manifest(data, "labs/data-manifest.yml")
    return [str(p) for p in caught.value.problems]


def changed(index: int, **fields) -> dict:
    data = copy.deepcopy(REAL)
    data["entries"][index].update(fields)
    return data


def test_the_course_manifest_is_valid_and_agrees_with_coursekit_and_the_labs():
    manifest = load_manifest(LABS / "data-manifest.yml")
    assert data_problems(LABS) == []
    # what coursekit's loaders look for is exactly what the manifest stages
    assert {e.name: e.target for e in manifest.entries} == paths.SUBFOLDERS
    assert {e.name: e.marker for e in manifest.entries} == paths.MARKERS
    assert manifest.default_data_dir == paths.DEFAULT_DATA_DIR
    assert not collect_problems(ROOT / "course.yml")


def test_an_unknown_kind_is_an_error_naming_the_entry_and_the_valid_kinds():
    (problem,) = problems_of(changed(1, kind="zenodo"))
    assert problem.startswith("labs/data-manifest.yml: entries[1] (cifar10).kind:")
    assert "'torchvision'" in problem and "'hf-model'" in problem


def test_a_source_no_fetcher_handles_is_an_error():
    (problem,) = problems_of(changed(0, source="FashionMNIST", target="vision/FashionMNIST"))
    assert (
        "entries[0] (mnist)" in problem
        and "FashionMNIST" in problem
        and "MNIST, CIFAR10" in problem
    )


def test_a_target_the_library_would_not_write_is_an_error():
    (problem,) = problems_of(changed(3, target="graphs/cora"))
    assert "entries[3] (cora)" in problem and "target must be 'graphs/Cora'" in problem


def test_a_target_two_entries_share_is_an_error_naming_both():
    data = changed(5, target="models/distilbert-base-uncased")
    (problem,) = problems_of(data)
    assert "entries[5] (SmolLM2-135M-Instruct).target" in problem
    assert "entries[4] (distilbert-base-uncased)" in problem
    nested = changed(5, target="models/distilbert-base-uncased/smol")
    assert "shares its folder" in problems_of(nested)[0]


def test_unknown_keys_and_paths_outside_the_folder_are_errors():
    found = problems_of(changed(2, url="http://x", target="../etc"))
    assert any("entries[2] (ag_news).url: unknown key" in p for p in found), found
    assert any("entries[2] (ag_news).target" in p and "relative path" in p for p in found), found


def test_the_old_fill_scripts_schema_is_refused_not_read_as_empty():
    found = problems_of({"datasets": [{"name": "x", "url": "http://x"}]})
    assert any("entries: required key is missing" in p for p in found), found
    assert any("datasets: unknown key" in p for p in found), found


def labs_copy(tmp_path: Path, manifest: dict) -> Path:
    labs = tmp_path / "labs"
    for name in ("week04-cnn", "week07-hf-finetuning"):
        (labs / name).mkdir(parents=True)
        nb = json.loads((LABS / name / f"{name}.ipynb").read_text())
        (labs / name / f"{name}.ipynb").write_text(json.dumps(nb))
    (labs / "data-manifest.yml").write_text(yaml.safe_dump(manifest))
    return labs


def test_a_lab_loading_data_the_manifest_lacks_is_an_error(tmp_path):
    data = copy.deepcopy(REAL)
    data["entries"] = [e for e in data["entries"] if e["name"] != "cifar10"]
    for e in data["entries"]:
        e["labs"] = [lab for lab in e["labs"] if lab == "week07-hf-finetuning"] or ["week04-cnn"]
    found = [str(p) for p in data_problems(labs_copy(tmp_path, data))]
    assert any("lab week04-cnn loads 'cifar10', which the manifest lacks" in p for p in found), (
        found
    )


def test_a_lab_not_listed_by_the_entry_it_loads_and_a_missing_lab_are_errors(tmp_path):
    data = copy.deepcopy(REAL)
    for e in data["entries"]:
        e["labs"] = ["week04-cnn"] if e["name"] != "ag_news" else ["week99-gone"]
    found = [str(p) for p in data_problems(labs_copy(tmp_path, data))]
    assert any("entries[2] (ag_news).labs: no lab folder 'week99-gone'" in p for p in found), found
    assert any(
        "entries[4] (distilbert-base-uncased).labs: lab week07-hf-finetuning loads" in p
        for p in found
    ), found


def test_an_entry_where_coursekit_does_not_look_is_an_error(tmp_path):
    data = copy.deepcopy(REAL)
    data["entries"][4]["marker"] = "tokenizer.json"
    found = [str(p) for p in data_problems(labs_copy(tmp_path, data))]
    assert any(
        "entries[4] (distilbert-base-uncased)" in p and "coursekit/paths.py" in p for p in found
    ), found


def test_the_loader_scan_finds_what_each_lab_loads():
    assert lab_data_uses(LABS / "week07-hf-finetuning" / "week07-hf-finetuning.ipynb") == {
        "ag_news",
        "distilbert-base-uncased",
    }
    assert lab_data_uses(LABS / "week08-gnn-basics" / "week08-gnn-basics.ipynb") == {"cora"}
    assert lab_data_uses(LABS / "week01-pytorch-basics" / "week01-pytorch-basics.ipynb") == set()
