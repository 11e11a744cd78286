"""The roster CSV: every bad line is an error naming the line; good rosters give groups."""

from pathlib import Path

import pytest

from hub.roster import RosterError, load_roster, parse_roster

ROOT = Path(__file__).resolve().parents[2]
HEADER = "username,name,email,role,team\n"


def problems_of(text: str) -> list[str]:
    with pytest.raises(RosterError) as info:
        parse_roster(text, "roster.csv")
    return [str(p) for p in info.value.problems]


def test_sample_roster():
    roster = load_roster(ROOT / "roster.csv")
    assert [p.username for p in roster.students] == [f"student{i}" for i in range(1, 11)]
    assert {p.username for p in roster.staff} == {"ta1", "ta2", "instructor"}
    assert roster.teams()["team1"] == ["student1", "student2", "student3"]


def test_duplicate_user_names_both_lines():
    text = HEADER + (
        "ann,Ann A,a@x.edu,student,\nbob,B B,b@x.edu,instructor,\nann,Ann B,a2@x.edu,student,\n"
    )
    assert problems_of(text) == ["roster.csv: line 4: username 'ann' already appears on line 2"]


@pytest.mark.parametrize("name", ["Ann", "1ann", "ann smith", "ann/../x", "a" * 33, "ann@x", ""])
def test_names_that_cannot_be_docker_or_hub_names(name):
    text = HEADER + f"{name},Ann,a@x.edu,student,\nbob,B,b@x.edu,instructor,\n"
    [msg] = problems_of(text)
    assert msg.startswith("roster.csv: line 2: username") and "not valid" in msg


def test_unknown_role():
    text = HEADER + "ann,Ann,a@x.edu,professor,\nbob,B,b@x.edu,instructor,\n"
    assert problems_of(text) == [
        "roster.csv: line 2: role 'professor' is unknown; valid: student, ta, instructor"
    ]


def test_missing_column():
    [msg] = problems_of("username,name,role\nann,Ann,student\n")
    assert msg.startswith("roster.csv: line 1: missing column(s) email")


def test_all_bad_lines_at_once():
    text = HEADER + "Ann,Ann,bad,student,\nbob,,b@x.edu,boss,\ncid,C,c@x.edu,instructor,\n"
    msgs = problems_of(text)
    assert len(msgs) == 4
    assert {m.split(":")[1].strip() for m in msgs} == {"line 2", "line 3"}


def test_team_is_optional_and_validated():
    roster = parse_roster("username,name,email,role\nann,Ann,a@x.edu,instructor\n")
    assert roster.get("ann").team == ""
    assert problems_of(HEADER + "ann,Ann,a@x.edu,instructor,Team One\n")[0].endswith(
        "team 'Team One' is not valid: 1-32 lowercase letters, digits, '_' or '-'"
    )


def test_needs_an_instructor():
    assert problems_of(HEADER + "ann,Ann,a@x.edu,student,\n") == [
        "roster.csv: the roster needs at least one instructor"
    ]


def test_not_utf8(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_bytes(HEADER.encode() + "j\xf6rg,J\xf6rg,j@x.edu,student,\n".encode("latin-1"))
    with pytest.raises(RosterError, match="not UTF-8"):
        load_roster(path)
