"""Our one mechanism for GOV.UK Frontend form components: small inclusion tags."""

from django import forms, template

register = template.Library()


def _input_type(widget: forms.Widget) -> str:
    if isinstance(widget, forms.CheckboxInput):
        return "checkbox"
    if isinstance(widget, forms.Select):
        return "select"
    if isinstance(widget, forms.Textarea):
        return "textarea"
    return "input"


@register.inclusion_tag("includes/_field.html")
def govuk_field(field, width: str = "", label_class: str = "", hint: str = ""):
    """A labelled field with its hint and error message, wired with aria-describedby."""
    widget = field.field.widget
    described_by = []
    hint_text = hint or field.help_text
    if hint_text:
        described_by.append(f"{field.id_for_label}-hint")
    if field.errors:
        described_by.append(f"{field.id_for_label}-error")
    kind = _input_type(widget)
    css = {
        "input": "govuk-input",
        "select": "govuk-select",
        "textarea": "govuk-textarea",
        "checkbox": "govuk-checkboxes__input",
    }[kind]
    if field.errors:
        css += {
            "input": " govuk-input--error",
            "select": " govuk-select--error",
            "textarea": " govuk-textarea--error",
            "checkbox": "",
        }[kind]
    if width:
        css += f" govuk-input--width-{width}" if width.isdigit() else f" govuk-!-width-{width}"
    attrs = {"class": css}
    if described_by:
        attrs["aria-describedby"] = " ".join(described_by)
    return {
        "field": field,
        "widget_html": field.as_widget(attrs=attrs),
        "kind": kind,
        "hint": hint_text,
        "label_class": label_class,
    }


@register.inclusion_tag("includes/_error_summary.html")
def govuk_error_summary(*forms_to_check):
    """The error summary above the h1: each error links to its field."""
    errors = []
    for form in forms_to_check:
        if form is None:
            continue
        for message in form.non_field_errors():
            errors.append({"href": "", "message": message})
        for field in form:
            # Radios and checkboxes have no one input: link to the first, as GOV.UK does.
            target = field.id_for_label or f"{field.auto_id}_0"
            for message in field.errors:
                errors.append({"href": f"#{target}", "message": message})
    return {"errors": errors}


@register.inclusion_tag("includes/_error_summary.html")
def govuk_error_message(message, href: str = ""):
    """The error summary for one message that is not about a form field (a refused action)."""
    return {"errors": [{"href": href, "message": message}] if message else []}


@register.inclusion_tag("includes/_radios.html")
def govuk_radios(field, legend_size: str = "m", small: bool = True, heading: bool = False):
    """GOV.UK radios for a choice field: a fieldset, its legend, hint, error and options."""
    return {"field": field, "legend_size": legend_size, "small": small, "heading": heading}


@register.inclusion_tag("includes/_checkboxes.html")
def govuk_checkboxes(field):
    """GOV.UK checkboxes for a multiple-choice field."""
    return {"field": field}


@register.inclusion_tag("includes/_date_input.html")
def govuk_date_input(field):
    """GOV.UK's date input (day, month and year boxes) for a ``core.forms.GovukDateField``."""
    return {"field": field}
