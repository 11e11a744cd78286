"""The roster sync into ngshare, against an in-memory stand-in for ngshare's REST API
(the real ngshare is exercised in tests/stack/test_ngshare.py)."""

from pathlib import Path

from hub.ngshare_sync import sync
from hub.roster import load_roster

ROOT = Path(__file__).resolve().parents[2]


class FakeNgshare:
    def __init__(self):
        self.course_list: list[str] = []
        self.members = {"instructor": {}, "student": {}}
        self.posts = []

    def courses(self):
        return self.course_list

    def instructors(self, course):
        return dict(self.members["instructor"])

    def students(self, course):
        return dict(self.members["student"])

    def post(self, path, **data):
        self.posts.append(path)
        kind, *rest = path.split("/")
        if kind == "course":
            self.course_list.append(rest[0])
        else:
            self.members[kind][rest[1]] = {"username": rest[1], **data}


def test_first_sync_creates_everything_then_nothing_changes():
    roster = load_roster(ROOT / "roster.csv")
    ngshare = FakeNgshare()
    first = sync(ngshare, "dl101", roster)
    assert first.course_created
    assert sorted(first.instructors_added) == ["instructor", "ta1", "ta2"]
    assert len(first.students_added) == 10
    assert ngshare.members["student"]["student4"]["email"] == "student4@example.edu"
    again = sync(ngshare, "dl101", roster)
    assert not again.changed and "nothing to change" in str(again)


def test_changed_email_is_an_update_and_nobody_is_removed():
    roster = load_roster(ROOT / "roster.csv")
    ngshare = FakeNgshare()
    sync(ngshare, "dl101", roster)
    ngshare.members["student"]["student2"]["email"] = "old@example.edu"
    ngshare.members["student"]["dropped"] = {"username": "dropped"}
    report = sync(ngshare, "dl101", roster)
    assert report.updated == ["student2"]
    assert "dropped" in ngshare.members["student"]  # submissions are never deleted
