from django import forms
from django.utils.translation import gettext_lazy as _

from ecitizen.core.forms import UswdsFormMixin
from ecitizen.core.models import Agency, Area


class AreaForm(UswdsFormMixin, forms.ModelForm):
    class Meta:
        model = Area
        fields = ["code", "name", "name_fr", "name_es", "kind", "parent"]
        help_texts = {"code": _("Short, unique, lowercase, e.g. north-district.")}

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["parent"].queryset = Area.objects.filter(kind=Area.Kind.REGION)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("kind") == Area.Kind.REGION and data.get("parent"):
            self.add_error("parent", _("A region cannot belong to another region."))
        return data


class AgencyForm(UswdsFormMixin, forms.ModelForm):
    class Meta:
        model = Agency
        fields = ["code", "name", "name_fr", "name_es", "email", "phone", "areas", "is_active"]
        widgets = {"areas": forms.CheckboxSelectMultiple}
