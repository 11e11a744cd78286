"""`course links` lines parse as nbgitpuller links that open a published notebook."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import yaml

from hub.course import parse_course
from hub.links import link_lines, nbgitpuller_link, week_link
from hub.publish import published_files

from .conftest import utc

BETWEEN_2_AND_3 = utc("2026-09-27T12:00")


def parse_link(url: str) -> tuple[str, dict[str, str]]:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query, strict_parsing=True).items()}
    return parts.path, query


def test_released_weeks_get_nbgitpuller_links_to_published_notebooks(course, labs):
    lines = link_lines(course, BETWEEN_2_AND_3, base_url="https://hub.example.edu/")
    assert [line.split("\t")[:3] for line in lines] == [
        ["1", "week01-intro", "open"], ["2", "week02-mlp", "open"],
    ]
    published = published_files(course, labs, BETWEEN_2_AND_3)
    for line in lines:
        url = line.split("\t")[3]
        assert url.startswith("https://hub.example.edu/hub/user-redirect/git-pull?")
        path, query = parse_link(url)
        assert path == "/hub/user-redirect/git-pull"
        assert set(query) == {"repo", "branch", "urlpath", "targetpath"}
        assert query["repo"] == "file:///srv/labs.git"
        assert query["branch"] == "main"
        assert query["targetpath"] == "labs"
        prefix = "lab/tree/labs/"
        assert query["urlpath"].startswith(prefix)
        assert query["urlpath"].removeprefix(prefix) in published  # the link opens a real file


def test_all_lists_unreleased_weeks_with_their_opening_time_and_stable_link(course):
    lines = link_lines(course, BETWEEN_2_AND_3, all_weeks=True)
    assert len(lines) == 7  # week 8 has no lab
    week3 = lines[2].split("\t")
    assert week3 == ["3", "week03-optim", "opens 2026-09-30 18:30 BST", "/hub/course/week/3"]
    week7 = lines[6].split("\t")
    assert week7[2] == "opens 2026-10-28 18:30 GMT"
    assert all("git-pull" not in line for line in lines[2:])  # never linked as open


def test_another_branch_and_a_prefixed_hub(course_path):
    data = yaml.safe_load(course_path.read_text())
    data["labs"] = {"branch": "published"}
    course = parse_course(data)
    week = course.week(1)
    path, query = parse_link(nbgitpuller_link(course, week, "https://example.edu/jupyter/"))
    assert path == "/jupyter/hub/user-redirect/git-pull"
    assert query["repo"] == "file:///srv/labs.git"
    assert query["branch"] == "published"
    assert week_link(week, "https://example.edu/jupyter") == (
        "https://example.edu/jupyter/hub/course/week/1"
    )
