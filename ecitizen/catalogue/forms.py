"""Forms of the public catalogue (the back office's form-builder forms are in
``ecitizen.catalogue.builder_forms``)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ecitizen.core.forms import UswdsFormMixin


class ServiceSearchForm(UswdsFormMixin, forms.Form):
    q = forms.CharField(label=_("Search for a service"), max_length=200, required=False)
