"""``((placeholder))`` personalisation, as GOV.UK Notify writes it.

Templates are checked when they are saved: every placeholder must be one the event offers
(unknown ones are errors), the ones the event requires must be there (missing ones are
errors), and brackets must pair up.
"""

import re
from collections.abc import Iterable, Mapping

from django.utils.translation import gettext as _

PLACEHOLDER = re.compile(r"\(\(\s*([^()]*?)\s*\)\)")
NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def placeholders_in(text: str) -> list[str]:
    return [match.group(1) for match in PLACEHOLDER.finditer(text or "")]


def problems(
    texts: Iterable[str], *, allowed: Iterable[str], required: Iterable[str] = ()
) -> list[str]:
    """Translated problems with a template's texts (empty if it is fine)."""
    allowed, found, errors = set(allowed), [], []
    for text in texts:
        rest = PLACEHOLDER.sub("", text or "")
        if "((" in rest or "))" in rest:
            errors.append(_("Write each placeholder between double brackets, like ((reference))."))
        found += placeholders_in(text)
    for name in dict.fromkeys(found):
        if not NAME.match(name) or name not in allowed:
            errors.append(
                _("((%(name)s)) is not a placeholder you can use here. You can use: %(allowed)s.")
                % {"name": name, "allowed": ", ".join(f"(({a}))" for a in sorted(allowed))}
            )
    for name in sorted(set(required) - set(found)):
        errors.append(_("The message must include ((%(name)s)).") % {"name": name})
    return list(dict.fromkeys(errors))


def render(text: str, values: Mapping[str, object]) -> str:
    """Fill in the placeholders; a value that is missing leaves the placeholder visible (the
    template was validated at save time, so this only happens with a caller's bug)."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        return str(values[name]) if name in values else match.group(0)

    return PLACEHOLDER.sub(replace, text or "")
