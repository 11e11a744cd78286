"""The similarity report: near-copies are flagged; independent work and the template are not."""

from __future__ import annotations

import csv
from pathlib import Path

import nbformat
import pytest

from hub.grading.similarity import compare, compare_course_folder, notebook_code

PROVIDED = '''\
%matplotlib inline
import numpy as np
import matplotlib.pyplot as plt


def load_data(n=200, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    w_true = np.array([1.5, -2.0, 0.5])
    y = x @ w_true + 0.3 + 0.1 * rng.normal(size=n)
    return x, y


def plot_losses(losses, title="training loss"):
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.plot(np.arange(len(losses)), losses, marker="o")
    ax.set_xlabel("epoch")
    ax.set_ylabel("mean squared error")
    ax.set_title(title)
    return fig
'''
STUB = '''\
def train(x, y, lr=0.1, epochs=100):
    """Fit y ~ x @ w + b by gradient descent; return the loss of every epoch."""
    # YOUR CODE HERE
    raise NotImplementedError()


def evaluate(x, y, params):
    # YOUR CODE HERE
    raise NotImplementedError()
'''
RUN = "x, y = load_data()\nlosses, params = train(x, y)\nplot_losses(losses)\n"

ORIGINAL = '''\
def train(x, y, lr=0.1, epochs=100):
    """Fit y ~ x @ w + b by gradient descent; return the loss of every epoch."""
    weights = np.zeros(x.shape[1])
    bias = 0.0
    history = []
    for epoch in range(epochs):
        predictions = x @ weights + bias
        errors = predictions - y
        loss = np.mean(errors ** 2)
        history.append(loss)
        grad_w = 2 * x.T @ errors / len(y)
        grad_b = 2 * np.sum(errors) / len(y)
        weights -= lr * grad_w
        bias -= lr * grad_b
        if epoch > 10 and abs(history[-2] - loss) < 1e-9:
            break
    return history, (weights, bias)


def evaluate(x, y, params):
    weights, bias = params
    residuals = y - (x @ weights + bias)
    total = np.sum((y - np.mean(y)) ** 2)
    r2 = 1 - np.sum(residuals ** 2) / total
    return {"mse": float(np.mean(residuals ** 2)), "r2": float(r2)}
'''
# the same program with every name changed and the comments rewritten
RENAMED = '''\
def train(x, y, lr=0.1, epochs=100):
    # my gradient descent
    w = np.zeros(x.shape[1])
    b = 0.0
    losses = []
    for it in range(epochs):
        yhat = x @ w + b
        diff = yhat - y
        mse = np.mean(diff ** 2)
        losses.append(mse)
        dw = 2 * x.T @ diff / len(y)
        db = 2 * np.sum(diff) / len(y)
        w -= lr * dw
        b -= lr * db
        if it > 10 and abs(losses[-2] - mse) < 1e-9:
            break  # converged
    return losses, (w, b)


def evaluate(x, y, params):
    w, b = params
    res = y - (x @ w + b)
    tss = np.sum((y - np.mean(y)) ** 2)
    score = 1 - np.sum(res ** 2) / tss
    return {"mse": float(np.mean(res ** 2)), "r2": float(score)}
'''
INDEPENDENT = '''\
class LinearModel:
    def __init__(self, n_features):
        self.coef = np.zeros(n_features + 1)

    def design(self, x):
        return np.hstack([x, np.ones((len(x), 1))])

    def step(self, x, y, lr):
        d = self.design(x)
        residual = d.dot(self.coef) - y
        self.coef = self.coef - lr * (2.0 / len(y)) * d.T.dot(residual)
        return float(residual.dot(residual) / len(y))


def train(x, y, lr=0.1, epochs=100):
    model = LinearModel(x.shape[1])
    return [model.step(x, y, lr) for _ in range(epochs)], model


def evaluate(x, y, model):
    pred = model.design(x).dot(model.coef)
    sse = ((pred - y) ** 2).sum()
    return {"mse": sse / len(y), "r2": 1 - sse / ((y - y.mean()) ** 2).sum()}
'''


def write_notebook(path: Path, *cells: str) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# A1: linear regression"),
                *[nbformat.v4.new_code_cell(c) for c in cells]]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)


@pytest.fixture
def course_root(tmp_path):
    root = tmp_path / "course"
    write_notebook(root / "release" / "A1" / "A1.ipynb", PROVIDED, STUB, RUN)
    answers = {
        "alice": ORIGINAL,
        "bob": RENAMED,  # alice's work, renamed
        "carol": INDEPENDENT,
        "dave": STUB,  # handed in the template untouched
        "erin": STUB.replace("raise NotImplementedError()", "return [], None"),
    }
    for student, answer in answers.items():
        write_notebook(root / "submitted" / student / "A1" / "A1.ipynb", PROVIDED, answer, RUN)
    (root / "submitted" / "frank" / "A1").mkdir(parents=True)
    (root / "submitted" / "frank" / "A1" / "A1.ipynb").write_text("{ not a notebook")
    return root


def test_near_copies_are_flagged_and_nothing_else(course_root, tmp_path):
    report = compare_course_folder(course_root, "A1", tmp_path / "out", threshold=0.6)
    flagged = {(p.student_a, p.student_b) for p in report.flagged}
    assert flagged == {("alice", "bob")}
    by_pair = {(p.student_a, p.student_b): p for p in report.pairs}
    assert by_pair[("alice", "bob")].similarity > 0.9
    # independent solutions to the same task, and the shared template, stay low
    assert by_pair[("alice", "carol")].similarity < 0.3
    assert by_pair[("bob", "carol")].similarity < 0.3
    assert by_pair[("dave", "erin")].similarity < 0.3
    assert by_pair[("alice", "dave")].similarity < 0.3
    assert len(report.pairs) == 10  # 5 readable students: every pair once
    assert report.unreadable and report.unreadable[0].startswith("frank: ")

    with report.csv.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["student_a"], r["student_b"]) for r in rows] == [("alice", "bob")]
    assert float(rows[0]["similarity"]) > 0.9
    matched = report.html.read_text().split("<h2>Matched Code</h2>")[1]
    assert "alice.py" in matched and "bob.py" in matched
    assert "carol.py" not in matched and "dave.py" not in matched


def test_without_the_template_as_boilerplate_the_shared_code_flags_everyone(
    course_root, tmp_path
):
    """Guards the test above: the template is long enough that excluding it is what matters."""
    code = notebook_code(course_root / "submitted" / "dave" / "A1" / "A1.ipynb")
    assert "def load_data" in code and "%matplotlib" not in code
    submissions = {s: course_root / "submitted" / s / "A1" for s in ("carol", "dave", "erin")}
    report = compare("A1", submissions, [], tmp_path / "out", threshold=0.6)
    assert {(p.student_a, p.student_b) for p in report.flagged} >= {("dave", "erin")}


def test_a_missing_template_is_a_clear_error(course_root, tmp_path):
    with pytest.raises(FileNotFoundError, match="released template is needed"):
        compare_course_folder(course_root, "A2", tmp_path / "out", threshold=0.6)
