from django import template
from django.forms import BaseForm

register = template.Library()


@register.filter
def uswds_form(form: BaseForm) -> BaseForm:
    """Style a third-party form (e.g. allauth's) like our own: USWDS classes, and labels
    instead of placeholders."""
    for field in form.fields.values():
        widget = field.widget
        input_type = getattr(widget, "input_type", "text")
        css = {"checkbox": "usa-checkbox__input", "hidden": "", "radio": ""}.get(
            input_type, "usa-input"
        )
        if css and css not in widget.attrs.get("class", ""):
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()
        widget.attrs.pop("placeholder", None)
    return form
