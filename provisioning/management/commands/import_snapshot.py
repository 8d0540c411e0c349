"""For a school whose Provisioning Client cannot reach the API: apply snapshot files by hand."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from provisioning.contract import COUNT_NAMES
from provisioning.models import ProvisioningRun
from provisioning.services import ProvisioningError
from provisioning.services.runs import snapshot_import
from provisioning.snapshots import EnvelopeError, snapshot_parse
from schools.models import School

ERRORS_SHOWN = 20
BAR_WIDTH = 30


class Command(BaseCommand):
    # gettext, not gettext_lazy: argparse needs a real string, and apps are ready by now.
    help = _(
        "Apply snapshot files (the Provisioning Client's JSON) for schools whose client cannot "
        "reach the portal. Every file is read and checked before any is applied."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE.json", help=_("snapshot files"))
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help=_("report what each snapshot would change, and change nothing"),
        )
        parser.add_argument(
            "--progress",
            action="store_true",
            help=_("show the progress bar even when the output is not a terminal"),
        )

    def handle(self, *args, files: list[str], dry_run: bool, progress: bool, **options):
        # Read and check every file first: a bad one stops the command before anything changes.
        snapshots = [(Path(name), self.snapshot_read(Path(name))) for name in files]
        show_bar = progress or self.stderr.isatty()
        failed = 0
        for path, (school, snapshot) in snapshots:
            self.stdout.write(
                _("%(file)s: %(school)s %(name)s")
                % {"file": path.name, "school": school.dfes_number, "name": school.name_en}
            )
            bar = _ProgressBar(self.stderr) if show_bar else None
            try:
                run = snapshot_import(
                    school=school,
                    snapshot=snapshot,
                    source="import",
                    dry_run=dry_run,
                    progress=bar.update if bar else None,
                )
            except ProvisioningError as error:  # a stale snapshot, most often
                raise CommandError(f"{path.name}: {error}") from None
            except EnvelopeError as error:
                raise CommandError(_envelope_message(path, error)) from None
            finally:
                if bar:
                    bar.finish()
            self.run_report(run)
            failed += run.status == ProvisioningRun.Status.FAILED
        if failed:
            raise CommandError(
                _("%(count)d of %(total)d snapshots failed: nothing of them was applied.")
                % {"count": failed, "total": len(snapshots)}
            )

    def snapshot_read(self, path: Path) -> tuple[School, dict]:
        """The file's school and its snapshot, with the API's own envelope rules checked."""
        try:
            size = path.stat().st_size
            if size > settings.HWB_SNAPSHOT_MAX_BYTES:
                raise CommandError(
                    _(
                        "%(file)s is %(size)d MB, more than the %(limit)d MB a snapshot may be. "
                        "Check it is the right file."
                    )
                    % {
                        "file": path.name,
                        "size": size // (1024 * 1024),
                        "limit": settings.HWB_SNAPSHOT_MAX_BYTES // (1024 * 1024),
                    }
                )
            body = path.read_bytes()
        except OSError as error:
            raise CommandError(
                _("Could not read %(file)s: %(error)s")
                % {"file": path, "error": error.strerror or error}
            ) from error
        try:
            snapshot = snapshot_parse(body)
        except EnvelopeError as error:
            raise CommandError(_envelope_message(path, error)) from None
        school = School.objects.filter(dfes_number=snapshot["school"]).first()
        if school is None:
            raise CommandError(
                _(
                    "%(file)s is a snapshot of school %(school)s, which the portal does not know. "
                    "Check the DfES number in the school's client, or add the school first "
                    "(import_schools)."
                )
                % {"file": path.name, "school": snapshot["school"]}
            )
        return school, snapshot

    def run_report(self, run: ProvisioningRun) -> None:
        if run.dry_run:
            self.stdout.write(_("Dry run: nothing was changed. This is what it would do."))
        self.stdout.write(
            _("Run %(run)d: %(status)s") % {"run": run.pk, "status": run.get_status_display()}
        )
        if run.status == ProvisioningRun.Status.HELD:
            self.stdout.write(
                self.style.WARNING(
                    _(
                        "Held for review, nothing applied: %(reason)s The Hwb team applies or "
                        "discards it in the admin."
                    )
                    % {"reason": run.failure_reason}
                )
            )
        elif run.status == ProvisioningRun.Status.FAILED:
            self.stderr.write(run.failure_reason)
        elif run.failure_reason:  # a dry run that would have been held
            self.stdout.write(self.style.WARNING(run.failure_reason))
        for kind, names in COUNT_NAMES.items():
            counts = run.counts.get(kind)
            if counts:
                figures = ", ".join(
                    f"{name.replace('_', ' ')} {counts.get(name, 0)}" for name in names
                )
                self.stdout.write(f"  {kind}: {figures}")
        if run.warnings:
            self.stdout.write(_("  %(count)d warnings") % {"count": len(run.warnings)})
        if run.errors:
            self.stdout.write(
                _("  %(count)d records rejected (each left as it was):")
                % {"count": len(run.errors)}
            )
            for problem in run.errors[:ERRORS_SHOWN]:
                name = run.record_names.get(problem["record"], "")
                who = " ".join(part for part in (problem["record"], name, problem["key"]) if part)
                self.stdout.write(f"    {who}: {problem['field']}: {problem['message']}")
            if len(run.errors) > ERRORS_SHOWN:
                self.stdout.write(
                    _("    … and %(count)d more") % {"count": len(run.errors) - ERRORS_SHOWN}
                )


def _envelope_message(path: Path, error: EnvelopeError) -> str:
    problems = "".join(
        f"\n  {problem['field']}: {problem['message']}"
        if problem["field"]
        else f"\n  {problem['message']}"
        for problem in error.errors
    )
    return (
        _("%(file)s is not a snapshot the portal can take, so nothing was applied:")
        % {"file": path.name}
        + problems
    )


def _plain(text: str) -> str:
    return text


class _ProgressBar:
    """``[#######.......]  45%  4,500 of 10,000 records``, redrawn in place as records are read."""

    def __init__(self, stream):
        self.stream = stream
        self.shown = -1

    def update(self, done: int, total: int) -> None:
        percent = 100 * done // total if total else 100
        if percent == self.shown:
            return
        self.shown = percent
        filled = BAR_WIDTH * percent // 100
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        line = _("%(done)d of %(total)d records") % {"done": done, "total": total}
        self.stream.write(f"\r[{bar}] {percent:3d}%  {line}", style_func=_plain, ending="")
        self.stream.flush()

    def finish(self) -> None:
        if self.shown >= 0:
            self.stream.write("", style_func=_plain, ending="\n")
            self.stream.flush()
