"""The server profiles a user may pick, JupyterHub's options form, and reading it back.

A profile's `groups` are matched against the user's group names; an entry may be a shell-style
pattern (`team-*`), so one line admits every project team.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping, Sequence
from html import escape

from hub.course import Profile

FORM_FIELD = "profile"


class ProfileNotAllowed(ValueError):
    """The requested profile does not exist or is not open to this user."""

    def __init__(self, message: str):
        super().__init__(message)
        # JupyterHub shows this attribute on the "spawn failed" page (format_exception).
        self.jupyterhub_message = message


def uses_gpus(profiles: Iterable[Profile]) -> bool:
    """Whether any profile asks for a GPU: only then do the hub and culler need NVML."""
    return any(p.gpu.mode != "none" for p in profiles)


def profile_allows(profile: Profile, groups: Iterable[str]) -> bool:
    groups = list(groups)
    return any(fnmatch.fnmatchcase(g, pattern) for pattern in profile.groups for g in groups)


def allowed_profiles(profiles: Sequence[Profile], groups: Iterable[str]) -> list[Profile]:
    """The profiles open to a member of `groups`, in course-file order."""
    groups = list(groups)
    return [p for p in profiles if profile_allows(p, groups)]


def default_profile(allowed: Sequence[Profile]) -> Profile:
    """The course file's default if the user may use it, else the first allowed profile."""
    if not allowed:
        raise ProfileNotAllowed("No server profile is open to you; please ask the course staff.")
    return next((p for p in allowed if p.default), allowed[0])


def options_form_html(
    allowed: Sequence[Profile], notes: Mapping[str, str] | None = None
) -> str:
    """Radio buttons for JupyterHub's spawn page; "" when there is nothing to choose.

    `notes` maps a slug to a short text shown with it (e.g. "3 places free").
    """
    if len(allowed) <= 1:
        return ""
    notes = notes or {}
    checked = default_profile(allowed).slug
    items = []
    for p in allowed:
        field_id = f"profile-{p.slug}"
        detail = " ".join(t for t in (p.description, notes.get(p.slug, "")) if t)
        described = f' aria-describedby="{field_id}-detail"' if detail else ""
        detail_html = (
            f'\n    <div class="form-text" id="{field_id}-detail">{escape(detail)}</div>'
            if detail
            else ""
        )
        items.append(
            f'  <div class="form-check">\n'
            f'    <input class="form-check-input" type="radio" name="{FORM_FIELD}"'
            f' id="{field_id}" value="{escape(p.slug)}"{described}'
            f'{" checked" if p.slug == checked else ""} required>\n'
            f'    <label class="form-check-label" for="{field_id}">'
            f"{escape(p.display_name)}</label>{detail_html}\n"
            f"  </div>"
        )
    body = "\n".join(items)
    return (
        f'<fieldset class="course-profiles">\n'
        f'  <legend>Choose a server</legend>\n{body}\n</fieldset>'
    )


def resolve_profile(
    slug: str | None, profiles: Sequence[Profile], groups: Iterable[str]
) -> Profile:
    """The profile `slug` names if this user may use it (None: their default).

    Call this in the spawner's start too: user_options can also arrive through the REST API,
    which never passes through the form.
    """
    allowed = allowed_profiles(profiles, groups)
    if slug is None:
        return default_profile(allowed)
    for p in allowed:
        if p.slug == slug:
            return p
    choices = ", ".join(f'"{p.display_name}"' for p in allowed) or "none"
    known = next((p for p in profiles if p.slug == slug), None)
    if known is None:
        raise ProfileNotAllowed(f"There is no server profile {slug!r}. Choose one of: {choices}.")
    raise ProfileNotAllowed(
        f'The profile "{known.display_name}" is only for {", ".join(known.groups)}. '
        f"Choose one of: {choices}."
    )


def options_from_form(
    formdata: Mapping[str, list[str]], profiles: Sequence[Profile], groups: Iterable[str]
) -> dict[str, str]:
    """JupyterHub's form data (`{"profile": ["gpu-shared"]}`) -> user_options."""
    values = formdata.get(FORM_FIELD) or []
    if len(values) > 1:
        raise ProfileNotAllowed("Choose one server profile only.")
    profile = resolve_profile(values[0] if values else None, profiles, groups)
    return {FORM_FIELD: profile.slug}
