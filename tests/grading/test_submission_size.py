"""The submission size check that student servers run before `nbgrader submit` uploads."""

from hub.grading.submission_size import MB, submitted_files, too_big


def make(folder, files):
    for name, size in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"\0" * size)


def test_files_are_listed_biggest_first_without_ignored_ones(tmp_path):
    make(tmp_path, {"A1.ipynb": 2000, "data/big.npy": 5 * MB, ".ipynb_checkpoints/x": 9 * MB})
    ignore = lambda directory, name, size: ".ipynb_checkpoints" in directory  # noqa: E731
    assert submitted_files(str(tmp_path), ignore) == [("data/big.npy", 5 * MB), ("A1.ipynb", 2000)]


def test_a_submission_at_the_limit_passes():
    assert too_big([("A1.ipynb", 50 * MB)], 50) is None


def test_over_the_limit_names_size_limit_and_largest_files():
    files = [("w.pt", 40 * MB), ("ckpt/x.pt", 20 * MB), ("A1.ipynb", MB), ("small", 10)]
    message = too_big(files, 50)
    assert message.startswith(
        "This submission is 61.0 MB, over the course's limit of 50 MB, so nothing was submitted."
    )
    assert "Largest files: w.pt (40.0 MB), ckpt/x.pt (20.0 MB), A1.ipynb (1.0 MB)." in message
    assert "small" not in message and "submit again" in message
