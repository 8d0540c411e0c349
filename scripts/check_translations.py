"""Fails when a Welsh translation is missing or fuzzy, or the .po file is out of date."""

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

TOP = Path(__file__).resolve().parent.parent
PO = TOP / "locale" / "cy" / "LC_MESSAGES" / "django.po"
MAKEMESSAGES = [
    sys.executable,
    "manage.py",
    "makemessages",
    "--locale",
    "cy",
    "--no-location",
    "--no-obsolete",
    "--ignore",
    "static/*",
    "--ignore",
    "var/*",
    "--ignore",
    "tests/*",
    "--ignore",
    "bench/*",
    "--verbosity",
    "0",
]


def _entries(path: Path) -> str:
    """The catalogue's entries sorted by msgid, without its creation date: what must match."""
    sorted_po = subprocess.run(  # noqa: S603
        ["msgcat", "--sort-output", "--no-location", str(path)],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return re.sub(r'"POT-Creation-Date: [^"]*"\n', "", sorted_po)


def main() -> int:
    problems = []
    before = _entries(PO)
    with tempfile.TemporaryDirectory() as tmp:
        backup = Path(tmp) / "django.po"
        shutil.copy(PO, backup)
        try:
            subprocess.run(MAKEMESSAGES, cwd=TOP, check=True)  # noqa: S603
            after = _entries(PO)
        finally:
            shutil.copy(backup, PO)
    if before != after:
        problems.append(
            "locale/cy/LC_MESSAGES/django.po is out of date: run "
            "`python manage.py makemessages -l cy --no-location --no-obsolete "
            "--ignore 'static/*' --ignore 'var/*' --ignore 'tests/*' --ignore 'bench/*'` "
            "and translate the new strings."
        )
    stats = subprocess.run(  # noqa: S603
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(PO)],  # noqa: S607
        capture_output=True,
        text=True,
    )
    if stats.returncode != 0:
        problems.append(stats.stderr.strip())
    elif "fuzzy" in stats.stderr or "untranslated" in stats.stderr:
        problems.append(f"Welsh translations incomplete: {stats.stderr.strip()}")
    for problem in problems:
        print(problem, file=sys.stderr)
    if not problems:
        print(f"Welsh translations complete: {stats.stderr.strip()}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
