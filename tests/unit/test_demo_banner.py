"""`make demo`'s closing lines name sign-ins that exist in the roster it started with."""

from hub.demo_banner import banner
from hub.roster import parse_roster

HEADER = "username,name,email,role\n"


def test_the_logins_come_from_the_roster_not_a_fixed_name():
    roster = parse_roster(
        HEADER + "tom,T,t@x.edu,ta\nann,A,a@x.edu,student\nprof,P,p@x.edu,instructor\n"
        "bob,B,b@x.edu,student\n"
    )
    assert banner(roster, "pw") == [
        "  student login: ann / pw",
        "  staff login:   prof / pw   (also staff: tom)",
    ]


def test_a_roster_of_staff_only_says_there_is_no_student():
    roster = parse_roster(HEADER + "prof,P,p@x.edu,instructor\n")
    assert banner(roster, "pw") == [
        "  no student in the roster yet (add one to roster.csv)",
        "  staff login:   prof / pw",
    ]
