"""What Account Transfer's wizard and the service desk's have in common: a first step naming the
previous school and account (its look-ups counted against the hourly limit only when sent), a
"Step n of m" caption, later steps that need the first step's answers still valid, and a Submit
that happens only on the POST of the last step, its refusals shown on the check page."""

from django.core.exceptions import ValidationError
from django.forms.utils import ErrorDict
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from formtools.wizard.views import NamedUrlSessionWizardView, WizardView

from schools.selectors import school_by_dfes_number


class SubmitRefused(Exception):
    """``done`` could not submit: ``response`` is the check page with the service's reason."""

    def __init__(self, response: HttpResponse):
        self.response = response


class PreviousAccountWizard(NamedUrlSessionWizardView):
    """Subclasses set ``form_list`` (the first step's form a ``PreviousAccountLookupForm``, the
    last a check step) and ``templates`` (step name -> template)."""

    templates: dict[str, str] = {}

    @property
    def first_step(self) -> str:
        return next(iter(self.form_list))

    def get_template_names(self):
        return [self.templates[self.steps.current]]

    def _previous(self) -> dict | None:
        """The first step's answers, checked again (not counted against the hourly limit)."""
        if not hasattr(self, "_previous_cache"):
            self._previous_cache = self.get_cleaned_data_for_step(self.first_step)
        return self._previous_cache

    def get_form_kwargs(self, step=None):
        if step == self.first_step:
            # Only the member of staff sending the first step counts against the limit.
            sent_now = (
                self.request.method == "POST"
                and step == self.steps.current
                and self.request.POST.get(f"{self.prefix}-current_step") == step
            )
            return {"requester": self.request.user, "count_lookup": sent_now}
        return {}

    def get(self, request: HttpRequest, *args, **kwargs):
        step = kwargs.get("step")
        # A later step needs the first step's answers, still valid (the rules may have changed).
        later = step != self.first_step and step in (*self.form_list, self.done_step_name)
        if later and self._previous() is None:
            self.storage.current_step = self.first_step
            return redirect(self.get_step_url(self.first_step))
        if "reset" in request.GET:
            request.session.pop(self._refused_key, None)
        refused = request.session.get(self._refused_key)
        if refused and refused.get("step") == step and step in self.form_list:
            # The answers a POST was refused with, shown again with their errors: Back and
            # refresh work, with no "Confirm form resubmission".
            self.storage.current_step = step
            data = QueryDict(mutable=True)
            for name, values in refused["data"]:
                data.setlist(name, values)
            form = self.get_form(step=step, data=data)
            # The errors as the POST found them, not checked again: a GET must not look anyone
            # up (the first step's look-ups are limited per hour).
            form._errors = ErrorDict(
                {
                    field: form.error_class(
                        [ValidationError(e["message"], code=e["code"]) for e in errors],
                        renderer=form.renderer,
                    )
                    for field, errors in refused["errors"].items()
                }
            )
            form.cleaned_data = {}
            return self.render(form)
        return super().get(request, *args, **kwargs)

    @property
    def _refused_key(self) -> str:
        return f"hwb_refused_{self.prefix}"

    def post(self, request: HttpRequest, *args, **kwargs):
        request.session.pop(self._refused_key, None)  # a new answer replaces a refused one
        response = super().post(request, *args, **kwargs)
        form = (getattr(response, "context_data", None) or {}).get("form")
        step = self.steps.current
        if (
            isinstance(response, TemplateResponse)
            and form is not None
            and form.is_bound
            and form.prefix == self.get_form_prefix(step, self.form_list[step])
            and form.errors
            and not getattr(form, "hwb_refused_by_service", False)
        ):
            data = [
                (name, values)
                for name, values in request.POST.lists()
                if name != "csrfmiddlewaretoken"
            ]
            request.session[self._refused_key] = {
                "step": step,
                "data": data,
                "errors": form.errors.get_json_data(),
            }
            return HttpResponseRedirect(self.get_step_url(step), status=303)
        return response

    def get_context_data(self, form, **kwargs):
        context = super().get_context_data(form=form, **kwargs)
        steps = list(self.form_list)
        step = self.steps.current
        context["step_caption"] = _("Step %(number)d of %(count)d") % {
            "number": steps.index(step) + 1,
            "count": len(steps),
        }
        if step == self.first_step:
            dfes_number = (form.data.get(form.add_prefix("dfes_number")) or "").strip()
            school = school_by_dfes_number(dfes_number) if form.is_bound else None
            # A number the form refused (the new school's own, say) names no previous school.
            refused = form.is_bound and "dfes_number" in form.errors
            context["previous_school_name"] = school.name if school and not refused else ""
        else:
            context["previous"] = self._previous() or {}
        return context

    def render_done(self, form, **kwargs):
        # Submitting is a write, so it happens on the POST of the last step, never on a GET of
        # a "done" URL (formtools' named-URL wizard would redirect there first).
        if self.request.method != "POST":
            return redirect(self.get_step_url(self.steps.last))
        try:
            return WizardView.render_done(self, form, **kwargs)
        except SubmitRefused as refusal:  # the answers stay, to put right and send again
            return refusal.response

    def refuse(self, form_dict, error: Exception):
        """Show the service's refusal on the check page (raise the result)."""
        check = form_dict[self.steps.last]
        check.add_error(None, str(error))
        check.hwb_refused_by_service = True  # shown as it is: a GET could not repeat it
        return SubmitRefused(self.render(check))
