"""Form helpers: USWDS classes on widgets and an error summary that links to each field."""

from typing import Any

from django import forms

_WIDGET_CLASSES = {
    "select": "usa-select",
    "selectmultiple": "usa-select",
    "textarea": "usa-textarea",
    "checkbox": "usa-checkbox__input usa-checkbox__input--tile",
    # Not USWDS's usa-file-input: its script replaces the field's accessible name with fixed
    # English text ("Drag files here or choose from folder").
    "clearablefile": "ec-file-input",
    "file": "ec-file-input",
}


class UswdsFormMixin:
    """Give each widget its USWDS class; mark invalid ones; keep paste and autocomplete on."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():  # type: ignore[attr-defined]
            widget = field.widget
            kind = type(widget).__name__.lower().removesuffix("input").removesuffix("widget")
            if isinstance(widget, (forms.RadioSelect, forms.CheckboxSelectMultiple)):
                continue
            css = _WIDGET_CLASSES.get(kind, "usa-input")
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def full_clean(self) -> None:
        super().full_clean()  # type: ignore[misc]
        for name in self.errors:  # type: ignore[attr-defined]
            if name in self.fields:  # type: ignore[attr-defined]
                widget = self.fields[name].widget  # type: ignore[attr-defined]
                if not isinstance(widget, (forms.RadioSelect, forms.CheckboxSelectMultiple)):
                    widget.attrs["class"] = f"{widget.attrs.get('class', '')} usa-input--error"

    def error_summary(self) -> list[tuple[str, str]]:
        """(anchor, message) pairs for the error summary at the top of the page."""
        items: list[tuple[str, str]] = []
        for name, errors in self.errors.items():  # type: ignore[attr-defined]
            if name in self.fields:  # type: ignore[attr-defined]
                bound = self[name]  # type: ignore[index]
                anchor = bound.id_for_label or bound.auto_id
                if isinstance(
                    bound.field.widget, (forms.RadioSelect, forms.CheckboxSelectMultiple)
                ):
                    anchor = f"{bound.auto_id}_0"
            else:
                anchor = ""
            items.extend((anchor, str(error)) for error in errors)
        return items
