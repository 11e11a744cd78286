from html.parser import HTMLParser

import pytest

from hub.gpu.profiles import (
    ProfileNotAllowed,
    allowed_profiles,
    default_profile,
    options_form_html,
    options_from_form,
    resolve_profile,
    uses_gpus,
)

from .builders import CPU, FULL, MIG, PROFILES, SHARED, profile


class FormReader(HTMLParser):
    """Collects the radio inputs and the labels pointing at them."""

    def __init__(self, html):
        super().__init__()
        self.inputs, self.labels, self.texts = [], {}, {}
        self._label_for = self._text_id = None
        self.legend = None
        self._in_legend = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input":
            self.inputs.append(attrs)
        elif tag == "label":
            self._label_for = attrs["for"]
        elif tag == "div" and "id" in attrs:
            self._text_id = attrs["id"]
        elif tag == "legend":
            self._in_legend = True

    def handle_endtag(self, tag):
        if tag == "label":
            self._label_for = None
        if tag == "div":
            self._text_id = None
        if tag == "legend":
            self._in_legend = False

    def handle_data(self, data):
        if self._label_for:
            self.labels[self._label_for] = data
        elif self._text_id:
            self.texts[self._text_id] = data
        elif self._in_legend:
            self.legend = data


def test_students_do_not_see_the_projects_profile():
    assert allowed_profiles(PROFILES, ["students"]) == [CPU, SHARED, MIG]


def test_team_members_match_the_team_pattern():
    assert FULL in allowed_profiles(PROFILES, ["students", "team-vision"])
    assert FULL in allowed_profiles(PROFILES, ["staff"])
    assert FULL not in allowed_profiles(PROFILES, ["students", "teamless"])


def test_user_without_matching_group_gets_nothing():
    assert allowed_profiles(PROFILES, ["visitors"]) == []
    with pytest.raises(ProfileNotAllowed, match="ask the course staff"):
        default_profile([])


def test_default_is_the_course_default_else_first():
    assert default_profile([SHARED, CPU]) == CPU
    assert default_profile([SHARED, MIG]) == SHARED


def test_form_lists_only_the_allowed_profiles_with_labels():
    html = options_form_html(allowed_profiles(PROFILES, ["students"]))
    form = FormReader(html)
    assert [i["value"] for i in form.inputs] == ["cpu", "shared", "mig"]
    assert all(i["type"] == "radio" and i["name"] == "profile" for i in form.inputs)
    assert [form.labels[i["id"]] for i in form.inputs] == [
        "CPU (2 cores, 4 GB)", "Shared GPU", "GPU slice (MIG 1g.10gb)"
    ]
    assert [i["value"] for i in form.inputs if "checked" in i] == ["cpu"]
    assert form.legend == "Choose a server"
    assert "Full GPU" not in html


def test_form_descriptions_and_notes_are_linked_for_screen_readers():
    described = profile("shared", "shared").model_copy(update={"description": "Time-sliced"})
    html = options_form_html([CPU, described], notes={"shared": "2 places free"})
    form = FormReader(html)
    shared = form.inputs[1]
    assert form.texts[shared["aria-describedby"]] == "Time-sliced 2 places free"
    assert "aria-describedby" not in form.inputs[0]


def test_form_escapes_course_text():
    odd = CPU.model_copy(update={"display_name": "<b>CPU</b> & more"})
    html = options_form_html([odd, SHARED])
    assert "<b>" not in html and "&lt;b&gt;CPU&lt;/b&gt; &amp; more" in html


def test_no_form_when_there_is_nothing_to_choose():
    assert options_form_html([CPU]) == ""


def test_form_data_becomes_user_options():
    assert options_from_form({"profile": ["mig"]}, PROFILES, ["students"]) == {"profile": "mig"}


def test_missing_choice_means_the_default():
    assert options_from_form({}, PROFILES, ["students"]) == {"profile": "cpu"}


def test_a_profile_for_other_groups_is_refused_with_a_clear_message():
    with pytest.raises(ProfileNotAllowed) as err:
        options_from_form({"profile": ["full"]}, PROFILES, ["students"])
    assert str(err.value) == (
        'The profile "Full GPU (projects)" is only for staff, team-*. Choose one of: '
        '"CPU (2 cores, 4 GB)", "Shared GPU", "GPU slice (MIG 1g.10gb)".'
    )
    assert err.value.jupyterhub_message == str(err.value)


def test_an_unknown_profile_is_refused():
    with pytest.raises(ProfileNotAllowed, match="There is no server profile 'gpu-xl'"):
        resolve_profile("gpu-xl", PROFILES, ["staff"])


def test_two_choices_are_refused():
    with pytest.raises(ProfileNotAllowed, match="one server profile only"):
        options_from_form({"profile": ["cpu", "mig"]}, PROFILES, ["students"])


def test_uses_gpus_only_when_a_profile_asks_for_one():
    assert not uses_gpus([CPU, profile("big-cpu")])
    assert uses_gpus([CPU, MIG])
    assert uses_gpus([FULL])
