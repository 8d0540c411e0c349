"""The Hwb team's command: load or update schools from the address list of schools (CSV)."""

import csv
import io
from collections.abc import Iterator
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from accounts.services import schools_import_audited
from schools.services import AddressListRow, SchoolImportError, address_list_columns

MAX_FILE_BYTES = 50 * 1024 * 1024
PROGRESS_EVERY = 500
# Sheets saved from Excel sometimes keep a title or a blank row above the real headers.
HEADER_SEARCH_ROWS = 10


class Command(BaseCommand):
    # gettext, not gettext_lazy: argparse needs a real string, and apps are ready by now.
    help = _(
        "Create or update schools from the Welsh Government's address list of schools (CSV). "
        "Schools not in the file are left alone; bad rows are listed with their line numbers."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help=_("the address list, saved as CSV"))

    def handle(self, *args, file: str, **options) -> None:
        path = Path(file)
        reader = csv.reader(io.StringIO(self.text_read(path), newline=""))
        headers = self.headers_find(reader)
        try:
            report = schools_import_audited(
                rows=self.rows_read(reader, headers=headers),
                actor=None,
                source=f"import_schools {path.name}",
            )
        except csv.Error as error:
            raise CommandError(
                _("Line %(line)d of %(file)s is not valid CSV (%(error)s). Nothing was imported.")
                % {"line": reader.line_num, "file": path.name, "error": error}
            ) from error

        for line, problem in report.problems:
            self.stderr.write(_("line %(line)d: %(message)s") % {"line": line, "message": problem})
        summary = _(
            "created %(created)d, updated %(updated)d, unchanged %(unchanged)d, "
            "rejected %(rejected)d"
        ) % {
            "created": report.created,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "rejected": report.rejected,
        }
        style = self.style.WARNING if report.rejected else self.style.SUCCESS
        self.stdout.write(style(summary))

    def text_read(self, path: Path) -> str:
        """The file's text: UTF-8 (with or without a BOM), else Windows-1252 as old Excel saves."""
        try:
            size = path.stat().st_size
            if size > MAX_FILE_BYTES:
                raise CommandError(
                    _(
                        "%(file)s is %(size)d MB; the address list is far smaller and this command "
                        "reads at most 50 MB. Check you chose the right file."
                    )
                    % {"file": path.name, "size": size // (1024 * 1024)}
                )
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(
                _("Could not read %(file)s: %(error)s")
                % {"file": path, "error": error.strerror or error}
            ) from error
        if data.startswith(b"PK\x03\x04"):
            raise CommandError(
                _(
                    "%(file)s is an Excel workbook, not a CSV file. Open it in Excel and save it "
                    "as “CSV UTF-8”, then try again."
                )
                % {"file": path.name}
            )
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            pass
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError as error:
            raise CommandError(
                _(
                    "%(file)s is neither UTF-8 nor Windows-1252 text. Save it from Excel as "
                    "“CSV UTF-8” and try again."
                )
                % {"file": path.name}
            ) from error

    def headers_find(self, reader) -> list[str]:
        """The first row, among the first few, that names a DfES number and a school name."""
        first_error = None
        try:
            for cells in reader:
                if reader.line_num > HEADER_SEARCH_ROWS:
                    break
                if not any(cell.strip() for cell in cells):
                    continue
                try:
                    address_list_columns(cells)
                except SchoolImportError as error:
                    first_error = first_error or error
                    continue
                return cells
        except csv.Error as error:
            raise CommandError(
                _("Line %(line)d is not valid CSV (%(error)s).")
                % {"line": reader.line_num, "error": error}
            ) from error
        if first_error is None:
            raise CommandError(
                _("The file has no header row: it should start with the sheet's column names.")
            )
        raise CommandError(str(first_error))

    def rows_read(self, reader, *, headers: list[str]) -> Iterator[AddressListRow]:
        """Each row as header -> cell, numbered by the physical line it starts on."""
        end_of_previous = reader.line_num
        count = 0
        for cells in reader:
            # A quoted cell may span lines, so a row starts just after the previous one ended.
            line = end_of_previous + 1
            end_of_previous = reader.line_num
            if not cells:
                continue
            padded = cells + [""] * (len(headers) - len(cells))
            yield AddressListRow(zip(headers, padded, strict=False), line=line)
            count += 1
            if count % PROGRESS_EVERY == 0:
                self.stdout.write(_("%(count)d rows read…") % {"count": count})
