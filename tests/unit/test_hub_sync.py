"""The roster sync into the hub: what it plans and which REST calls it makes, against an in-memory
stand-in for JupyterHub's API (the real hub: tests/stack/test_roster_changes.py)."""

from pathlib import Path

from hub.config import group_members
from hub.hub_sync import HubApiError, apply, plan, sync
from hub.roster import load_roster, parse_roster

ROOT = Path(__file__).resolve().parents[2]
ROSTER = load_roster(ROOT / "roster.csv")


class FakeHub:
    """Users and groups, with the calls the sync makes recorded."""

    def __init__(self, roster):
        self.names = set(roster.usernames) | {"admin"}
        self.group_map = {g: set(m) for g, m in group_members(roster).items()}
        self.calls = []
        self.stopping = {}  # name -> how many DELETEs answer 400 first

    def call(self, method, path, body=None, **params):
        self.calls.append((method, path, body))
        parts = path.split("/")
        if method == "POST" and path == "users":
            self.names |= set(body["usernames"])
        elif method == "DELETE" and parts[0] == "users":
            if self.stopping.get(parts[1]):
                self.stopping[parts[1]] -= 1
                raise HubApiError(400, "server is in the process of stopping", method, path)
            self.names.discard(parts[1])
            for members in self.group_map.values():
                members.discard(parts[1])
        elif method == "POST" and len(parts) == 2:
            self.group_map[parts[1]] = set()
        elif parts[-1] == "users":
            members = self.group_map[parts[1]]
            (members.update if method == "POST" else members.difference_update)(body["users"])

    def users(self):  # HubApi's reading methods
        return set(self.names)

    def groups(self):
        return {g: set(m) for g, m in self.group_map.items()}

    def current(self):
        return self.users(), self.groups()


def edited_roster():
    text = (ROOT / "roster.csv").read_text().splitlines()
    text = [line for line in text if not line.startswith("student9,")]
    text = [
        line.replace(",student,team3", ",ta,") if line.startswith("student8,") else line
        for line in text
    ]
    text.append("student11,Student 11,student11@example.edu,student,team5")
    return parse_roster("\n".join(text) + "\n")


def test_unchanged_roster_plans_nothing():
    hub = FakeHub(ROSTER)
    the_plan = plan(ROSTER, ["admin"], *hub.current())
    assert not the_plan.changed
    assert the_plan.lines(done=True) == ["hub is in sync with the roster: nothing to change"]


def test_add_promote_drop():
    hub = FakeHub(ROSTER)
    the_plan = plan(edited_roster(), ["admin"], *hub.current())
    assert the_plan.add_users == ["student11"]
    assert the_plan.drop_users == ["student9"]  # the admin (not on the roster) stays
    assert the_plan.new_groups == ["team-team5"]
    assert the_plan.group_add == {
        "staff": ["student8"],
        "students": ["student11"],
        "team-team5": ["student11"],
    }
    # the dropped student leaves their groups with the user; no separate removal
    assert the_plan.group_remove == {"students": ["student8"], "team-team3": ["student8"]}
    text = "\n".join(the_plan.lines(done=False))
    assert "would add users (they can sign in): student11" in text
    assert "home volume and submissions kept): student9" in text
    assert "group team-team5 (to create): +student11" in text


def test_apply_makes_the_hub_match_and_a_second_sync_is_a_no_op():
    hub = FakeHub(ROSTER)
    roster = edited_roster()
    apply(hub, plan(roster, ["admin"], *hub.current()))
    assert hub.names == roster.usernames | {"admin"}
    assert hub.group_map["staff"] == {"instructor", "ta1", "ta2", "student8"}
    assert not plan(roster, ["admin"], *hub.current()).changed
    # users are created before they join groups, and deleted last
    methods = [(m, p) for m, p, _ in hub.calls]
    assert methods[0] == ("POST", "users") and methods[-1] == ("DELETE", "users/student9")


def test_a_team_emptied_by_the_roster_is_emptied_in_the_hub():
    hub = FakeHub(ROSTER)
    roster = parse_roster(
        "username,name,email,role,team\n"
        "instructor,I,i@example.edu,instructor,\n"
        + "".join(f"student{i},S,s{i}@example.edu,student,\n" for i in range(1, 11))
        + "ta1,T,t1@example.edu,ta,\nta2,T,t2@example.edu,ta,\n"
    )
    the_plan = plan(roster, [], *hub.current())
    assert the_plan.group_remove["team-team1"] == ["student1", "student2", "student3"]


def test_delete_waits_while_the_server_stops():
    hub = FakeHub(ROSTER)
    hub.stopping["student9"] = 1
    apply(hub, plan(edited_roster(), ["admin"], *hub.current()))
    assert "student9" not in hub.names
    assert [p for m, p, _ in hub.calls if m == "DELETE" and p.startswith("users/")] == [
        "users/student9",
        "users/student9",
    ]


def test_dry_run_changes_nothing():
    hub = FakeHub(ROSTER)
    the_plan = sync(hub, edited_roster(), ["admin"], dry_run=True)
    assert the_plan.add_users == ["student11"] and hub.calls == []
    sync(hub, edited_roster(), ["admin"])
    assert "student11" in hub.names
