"""One origin per user, asserted in a browser: a page a student's own server serves, opened by
a signed-in TA (a link in a forum post), against what that page's script can do with the TA's
session.

The student serves the page the way an attacker would: a Jupyter server extension of their own,
loaded by their ~/.jupyter/jupyter_server_config.py (probe/), so no Jupyter CSP sandbox applies
(files under /files/ get one). The stack fixture runs this in both origin modes:
- one origin for all (make demo): the script reads the xsrf token from a hub page and creates an
  API token as the TA (201); it reads the TA's server's xsrf cookie through a frame and lists
  the TA's files. The record is kept in test-results/browser/origin-probe-shared.json.
- one origin per user (subdomains, make deploy with a wildcard name): all of it is blocked by
  the browser, and the hub shows that no token was made.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from browserkit import SHOTS
from hubclient import HubClient
from playwright.sync_api import expect

pytestmark = pytest.mark.docker

STUDENT, TA = "student2", "ta2"  # not the journeys' people
PROBE = Path(__file__).parent / "probe"
HOME = "/home/jovyan"


def signed_in(stack, name: str) -> HubClient:
    client = HubClient(stack.url, subdomains=stack.subdomains)
    client.login(name, stack.password, next_url="/hub/home")
    assert client.logged_in(), f"{name} could not sign in"
    return client


@pytest.fixture(scope="module")
def student_page(stack) -> str:
    """The student's server, restarted with their own extension: the page's URL."""
    student = signed_in(stack, STUDENT)
    student.start_server()
    container = stack.container_name(STUDENT)
    for name, where in [
        ("jupyter_server_config.py", f"{HOME}/.jupyter/jupyter_server_config.py"),
        ("origin_probe.py", f"{HOME}/.jupyter/probe/origin_probe.py"),
        ("origin_probe.html", f"{HOME}/.jupyter/probe/origin_probe.html"),
    ]:  # as the student writes them in a terminal of their server
        stack.exec(container, "python", "-c",
                   "import pathlib, sys; p = pathlib.Path(sys.argv[1]); "
                   "p.parent.mkdir(parents=True, exist_ok=True); p.write_text(sys.argv[2])",
                   where, (PROBE / name).read_text(), user="1000")
    student.stop_server()
    student.start_server()
    url = f"{student.server_url}/origin-probe"
    served = student.s.get(url, timeout=30)
    assert served.status_code == 200 and "window.probe" in served.text, (
        f"the student's own extension did not serve its page: {served.status_code}")
    return url


@pytest.fixture(scope="module")
def ta(stack, open_browser):
    """The TA, signed in, with their server running and opened once (as they work in it)."""
    client = signed_in(stack, TA)
    client.start_server()
    person = open_browser(TA)
    person.log_in(stack.password)
    person.goto("/hub/user-redirect/lab")  # through the server's OAuth: its cookie is set
    expect(person.page.locator("#jp-main-dock-panel")).to_be_visible(timeout=300_000)
    return person, client


def test_a_students_page_and_a_tas_session(stack, student_page, ta):
    person, client = ta
    page = person.context.new_page()
    hub = stack.url
    page.goto(f"{student_page}?hub={hub}&staff={client.server_url}&user={TA}")
    page.wait_for_function("window.probe !== undefined", timeout=60_000)
    seen = page.evaluate("window.probe")
    page.close()
    mode = "per-user" if stack.subdomains else "shared"
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / f"origin-probe-{mode}.json").write_text(json.dumps(seen, indent=2) + "\n")
    notes = {t["note"] for t in client.api("GET", f"/users/{TA}/tokens").json()["api_tokens"]}

    assert seen["cookies"] == "", "a cookie the page's own script can read"
    # the hub's pages refuse every frame (JupyterHub's frame-ancestors 'none'), in both modes
    assert seen["hub_frame_cookies"].startswith("blocked"), seen
    if stack.subdomains:
        assert seen["origin"].startswith(f"http://{STUDENT}.hub.localhost:"), seen
        assert seen["hub_page"].startswith("blocked"), seen
        assert "hub_token" not in seen, seen
        assert seen["staff_frame_cookies"].startswith("blocked"), seen
        assert str(seen["staff_contents"]).startswith("blocked"), seen
        # the blind request reached the hub with the TA's cookie and was refused (no xsrf)
        assert not notes & {"origin-probe", "origin-probe-blind"}, notes
    else:  # the hole that one origin for all leaves open, recorded
        assert seen["origin"] == hub, seen
        assert seen["hub_page"] == "read" and seen["hub_token"] == 201, seen
        assert "origin-probe" in notes, notes  # a token of the TA's, made by the student
        assert "origin-probe-blind" not in notes, notes  # without the xsrf token: refused
        # the staff server allows frames from its own origin (formgrader's tab), so the
        # student's page reads its xsrf cookie and then the TA's files
        assert "_xsrf=" in seen["staff_frame_cookies"], seen
        assert seen["staff_contents"] == 200 and seen["staff_files"], seen
