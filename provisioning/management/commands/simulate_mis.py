"""For demos and benchmarks: a simulated Wales's MIS snapshots, written as files and/or applied."""

import json
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from provisioning.services import ProvisioningError, StaleSnapshot
from provisioning.services.runs import snapshot_import
from provisioning.simulator import (
    DEFAULT_SEED,
    school_snapshot,
    schools_create,
    september_moves,
    simulation_dates,
    snapshot_records,
    wales_schools,
)
from schools.models import School

PROGRESS_EVERY = 100


class Command(BaseCommand):
    # gettext, not gettext_lazy: argparse needs a real string, and apps are ready by now.
    help = _(
        "Simulate the MIS of every school in Wales (about 1,480 schools at scale 1): create the "
        "schools that are missing, then write each school's snapshot as JSON and/or apply it. "
        "With --september, the snapshots of the next September (year 6 start year 7, and a few "
        "hundred learners change school): apply the summer ones first."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            type=float,
            default=1.0,
            help=_("share of Wales's schools to simulate, like 0.01 (default 1: all of them)"),
        )
        parser.add_argument(
            "--seed", type=int, default=DEFAULT_SEED, help=_("the same seed, the same Wales")
        )
        parser.add_argument(
            "--out",
            help=_("folder for the JSON files (default var/snapshots/ unless --apply is given)"),
        )
        parser.add_argument(
            "--apply", action="store_true", help=_("apply each snapshot, as its client would")
        )
        parser.add_argument(
            "--september",
            action="store_true",
            help=_("the snapshots of the new academic year, instead of the summer's"),
        )

    def handle(self, *args, scale: float, seed: int, out, apply: bool, september: bool, **options):
        if not 0 < scale <= 1:
            raise CommandError(_("--scale is a share of Wales's schools: more than 0, at most 1."))
        folder = Path(out) if out else None
        if folder is None and not apply:
            folder = Path(settings.BASE_DIR) / "var" / "snapshots"
        if folder is not None:
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise CommandError(
                    _("Could not make the folder %(folder)s: %(error)s")
                    % {"folder": folder, "error": error.strerror or error}
                ) from error

        started = time.perf_counter()
        specs = list(wales_schools(scale, seed))
        existing = School.objects.filter(dfes_number__in=[s.dfes_number for s in specs]).count()
        schools = schools_create(specs)
        self.stdout.write(
            _("%(schools)d schools (%(created)d created).")
            % {"schools": len(specs), "created": len(schools) - existing}
        )
        summer, autumn = simulation_dates()
        if september:
            snapshots = september_moves(specs, extracted_at=autumn)
        else:
            snapshots = ((spec, school_snapshot(spec, summer)) for spec in specs)

        tally = _Tally()
        for number, (spec, snapshot) in enumerate(snapshots, start=1):
            tally.records += snapshot_records(snapshot)
            if folder is not None:
                name = f"{spec.dfes_number}-{snapshot['extracted_at'][:10]}.json"
                (folder / name).write_bytes(json.dumps(snapshot, ensure_ascii=False).encode())
            if apply:
                self.snapshot_apply(schools[spec.dfes_number], snapshot, tally)
            if number % PROGRESS_EVERY == 0:
                self.stdout.write(
                    _("%(done)d of %(total)d schools…") % {"done": number, "total": len(specs)}
                )

        self.stdout.write(
            _("%(records)d learner and staff records of %(schools)d schools in %(seconds).1f s.")
            % {
                "records": tally.records,
                "schools": len(specs),
                "seconds": time.perf_counter() - started,
            }
        )
        if folder is not None:
            self.stdout.write(_("Snapshots written to %(folder)s.") % {"folder": folder})
        if apply:
            self.summary_write(tally)

    def snapshot_apply(self, school: School, snapshot: dict, tally: "_Tally") -> None:
        try:
            run = snapshot_import(school=school, snapshot=snapshot, source="simulator")
        except StaleSnapshot:
            tally.statuses["stale"] += 1
            return
        except ProvisioningError as error:
            tally.statuses["refused"] += 1
            self.stderr.write(f"{school.dfes_number}: {error}")
            return
        tally.statuses[run.status] += 1
        tally.errors += len(run.errors)
        tally.warnings += len(run.warnings)
        for kind in ("learners", "staff"):
            tally.counts[kind].update(run.counts.get(kind, {}))
        if run.status == run.Status.FAILED:
            self.stderr.write(f"{school.dfes_number}: {run.failure_reason}")

    def summary_write(self, tally: "_Tally") -> None:
        statuses = ", ".join(
            f"{status} {count}" for status, count in sorted(tally.statuses.items())
        )
        self.stdout.write(_("Runs: %(statuses)s.") % {"statuses": statuses})
        for kind, counts in tally.counts.items():
            figures = ", ".join(f"{name} {number}" for name, number in counts.items())
            self.stdout.write(f"{kind}: {figures}")
        self.stdout.write(
            _("Record errors %(errors)d, warnings %(warnings)d.")
            % {"errors": tally.errors, "warnings": tally.warnings}
        )
        if tally.statuses["stale"]:
            self.stdout.write(
                self.style.WARNING(
                    _(
                        "%(count)d schools already have a later snapshot applied, so theirs "
                        "were not applied."
                    )
                    % {"count": tally.statuses["stale"]}
                )
            )
        if tally.statuses["failed"] or tally.statuses["refused"]:
            raise CommandError(
                _("%(count)d snapshots could not be applied (see above).")
                % {"count": tally.statuses["failed"] + tally.statuses["refused"]}
            )


@dataclass
class _Tally:
    """What the runs did, added up over all schools."""

    records: int = 0
    errors: int = 0
    warnings: int = 0
    statuses: Counter = field(default_factory=Counter)
    counts: dict[str, Counter] = field(
        default_factory=lambda: {"learners": Counter(), "staff": Counter()}
    )
