"""Weekly labs through the real stack: the course-admin service publishes the released weeks into
the labs volume, a student's one-click link pulls them into their home, their edits survive a
staff update, and an unreleased week shows when it opens."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from hubclient import HubClient

pytestmark = pytest.mark.docker

WEEK1 = "week01-pytorch-basics"


def link(stack, week: int) -> str:
    hub = f"{stack.name}_hub_1"
    lines = stack.exec(hub, "course", "links", "--all").stdout.splitlines()
    row = next(line.split("\t") for line in lines if line.split("\t")[0] == str(week))
    return row[3]


def pull(client: HubClient, nbgitpuller_link: str) -> list[dict]:
    """What the git-pull page does in the browser: call /git-pull/api and read its events."""
    query = parse_qs(urlparse(nbgitpuller_link).query)
    params = {k: v[0] for k, v in query.items() if k in ("repo", "branch", "targetpath")}
    r = client.s.get(f"{client.server_url}/git-pull/api", params=params, stream=True,
                     timeout=120)
    r.raise_for_status()
    events = [json.loads(line[5:]) for line in r.iter_lines(decode_unicode=True)
              if line and line.startswith("data:")]
    assert events and events[-1]["phase"] == "finished", events
    return events


@pytest.fixture(scope="module")
def student(stack):
    client = HubClient(stack.url)
    client.login("student6", stack.password)
    client.start_server()
    return client


def test_links_are_nbgitpuller_links_through_user_redirect(stack):
    url = urlparse(link(stack, 1))
    assert url.path.endswith("/hub/user-redirect/git-pull")
    query = parse_qs(url.query)
    assert query["repo"] == ["file:///srv/labs.git"]
    assert query["branch"] == ["main"]
    assert query["urlpath"] == [f"lab/tree/labs/{WEEK1}/{WEEK1}.ipynb"]


def test_week1_link_lands_the_lab_in_the_students_home(stack, student):
    r = student.s.get(f"{stack.url}{link(stack, 1)}", timeout=60)  # the one-click link
    assert r.ok and "git-pull" in r.url
    pull(student, link(stack, 1))
    notebook = student.get_file(f"labs/{WEEK1}/{WEEK1}.ipynb")
    assert notebook.status_code == 200
    assert notebook.json()["type"] == "notebook"


def test_student_edits_survive_a_staff_update(stack, student):
    pull(student, link(stack, 1))
    path = f"labs/{WEEK1}/README.md"
    mine = student.get_file(path).json()["content"] + "\nMY OWN NOTES\n"
    assert student.put_file(path, mine).ok
    # Staff change another file and add a new one, then publish.
    labs = Path(stack.course_dir) / "labs" / WEEK1
    (labs / "extra-reading.md").write_text("# Extra reading\n\nd2l.ai chapter 3\n")
    nb = labs / f"{WEEK1}.ipynb"
    doc = json.loads(nb.read_text())
    doc["cells"].append({"cell_type": "markdown", "metadata": {}, "source": ["Staff update."]})
    nb.write_text(json.dumps(doc, indent=1))
    out = stack.exec(f"{stack.name}_hub_1", "course", "publish-labs").stdout
    assert "published" in out
    pull(student, link(stack, 1))
    assert "MY OWN NOTES" in student.get_file(path).json()["content"]
    assert student.get_file(f"labs/{WEEK1}/extra-reading.md").status_code == 200
    cells = student.get_file(f"labs/{WEEK1}/{WEEK1}.ipynb").json()["content"]["cells"]
    assert "Staff update." in "".join(c["source"] for c in cells)


def test_unreleased_week_shows_when_it_opens(stack, student):
    r = student.s.get(f"{stack.url}/hub/course/week/13", timeout=30)
    assert r.status_code == 200
    assert "opens on" in r.text.lower()
    assert "Traceback" not in r.text
    published = stack.exec(f"{stack.name}_hub_1", "git", "--git-dir=/srv/labs.git", "ls-tree",
                           "--name-only", "main").stdout.split()
    assert "week13-project-highlights" not in published
    assert WEEK1 in published


def test_home_page_shows_the_course(stack, student):
    r = student.s.get(f"{stack.url}/hub/home", timeout=30)
    assert r.status_code == 200
    assert "Deep Learning: A Modern Perspective" in r.text
