"""Every Django form on a page renders through the design system's templates (``FORM_RENDERER``):
a label, the help text and the error tied to the input (aria-describedby, aria-invalid), an
"optional" mark on optional fields, and the form's own errors announced as an alert. Pages write
``{{ form }}`` (or ``{{ form.email.as_field_group }}``) and get this; see docs/WEB.md."""

from __future__ import annotations

from django.forms import BoundField
from django.forms.renderers import TemplatesSetting


class AccessibleBoundField(BoundField):
    """Ties the inline error (and help text) to the input for screen readers."""

    def build_widget_attrs(self, attrs, widget=None):
        attrs = super().build_widget_attrs(attrs, widget)
        if self.errors and self.auto_id:
            described = [f"{self.auto_id}_error"]
            if self.help_text:
                described.append(f"{self.auto_id}_helptext")
            attrs["aria-invalid"] = "true"
            attrs["aria-describedby"] = " ".join(described)
        return attrs


class FormRenderer(TemplatesSetting):
    form_template_name = "components/form.html"
    field_template_name = "components/field.html"
    bound_field_class = AccessibleBoundField
