"""Loading the Welsh Government's address list of schools: the service and the command."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from schools.models import School
from schools.services import SchoolImportError, schools_import

pytestmark = pytest.mark.django_db

HEADER = "School Number,School Name,School Name (Welsh),Local Authority,Sector,Opening Date,Status"
SAMPLE = Path(__file__).resolve().parents[2] / "schools" / "fixtures" / "address_list_sample.csv"


def row(**cells: str) -> dict[str, str]:
    """A good row of the sheet, with any cells replaced."""
    good = {
        "School Number": "6612105",
        "School Name": "Llanrug Primary School",
        "School Name (Welsh)": "Ysgol Gynradd Llanrug",
        "Local Authority": "Gwynedd",
        "Sector": "Primary",
        "Opening Date": "",
        "Closing Date": "",
        "Status": "",
    }
    return good | cells


def csv_file(tmp_path: Path, *lines: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "address-list.csv"
    path.write_bytes("\n".join(lines).encode(encoding) + b"\n")
    return path


def import_file(path: Path) -> tuple[str, str]:
    """Run the command as an administrator would; return what it printed (stdout, stderr)."""
    stdout, stderr = StringIO(), StringIO()
    call_command("import_schools", str(path), stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


# The service


def test_good_rows_create_schools_with_both_names_their_la_and_phase():
    report = schools_import(
        rows=[
            row(),
            row(
                **{
                    "School Number": "6722010",
                    "School Name": "Bro Ogwr Welsh-medium Primary School",
                    "School Name (Welsh)": "Ysgol Gymraeg Bro Ogwr",
                    "Local Authority": "",
                    "Sector": "Secondary",
                }
            ),
        ]
    )

    assert (report.created, report.rejected, report.problems) == (2, 0, [])
    llanrug = School.objects.get(dfes_number="6612105")
    assert llanrug.name_en == "Llanrug Primary School"
    assert llanrug.name_cy == "Ysgol Gynradd Llanrug"
    assert llanrug.local_authority.name_en == "Gwynedd"
    assert llanrug.phase == School.Phase.PRIMARY
    assert llanrug.status == School.Status.OPEN
    bro_ogwr = School.objects.get(dfes_number="6722010")
    assert bro_ogwr.name_cy == "Ysgol Gymraeg Bro Ogwr"
    assert bro_ogwr.local_authority.code == 672
    assert bro_ogwr.phase == School.Phase.SECONDARY


def test_importing_the_same_rows_twice_changes_nothing_the_second_time():
    rows = [row(), row(**{"School Number": "6814061", "Local Authority": "681"})]
    schools_import(rows=rows)
    stamps = dict(School.objects.values_list("dfes_number", "updated_at"))

    report = schools_import(rows=rows)

    assert (report.created, report.updated, report.unchanged, report.rejected) == (0, 0, 2, 0)
    assert report.changes == []
    assert dict(School.objects.values_list("dfes_number", "updated_at")) == stamps


def test_a_changed_name_updates_the_school_and_says_which_fields_changed():
    schools_import(rows=[row()])

    report = schools_import(rows=[row(**{"School Name (Welsh)": "Ysgol Llanrug"})])

    assert (report.created, report.updated, report.unchanged) == (0, 1, 0)
    assert School.objects.get(dfes_number="6612105").name_cy == "Ysgol Llanrug"
    assert [(change.dfes_number, change.fields) for change in report.changes] == [
        ("6612105", ("name_cy",))
    ]


def test_a_school_missing_from_the_file_is_left_alone(school):
    report = schools_import(rows=[row()])

    assert report.created == 1
    assert School.objects.filter(pk=school.pk, name_en=school.name_en).exists()


def test_a_blank_cell_leaves_the_stored_value_alone():
    schools_import(rows=[row(**{"Opening Date": "2014-09-01"})])

    report = schools_import(
        rows=[row(**{"School Name (Welsh)": "", "Sector": "", "Opening Date": ""})]
    )

    assert report.unchanged == 1
    llanrug = School.objects.get(dfes_number="6612105")
    assert llanrug.name_cy == "Ysgol Gynradd Llanrug"
    assert llanrug.phase == School.Phase.PRIMARY
    assert str(llanrug.opening_date) == "2014-09-01"


def test_headers_match_whatever_their_case_spacing_and_year_of_the_sheet():
    report = schools_import(
        rows=[
            {
                " laestab ": "6612105",
                "NAME": "Llanrug Primary School",
                "Enw’r Ysgol": "Ysgol Gynradd Llanrug",
                "la": "661",
                "school type": "primary",
                "Open Date": "01/09/2014",
                "STATUS": "open",
            }
        ]
    )

    assert report.created == 1
    llanrug = School.objects.get(dfes_number="6612105")
    assert llanrug.name_cy == "Ysgol Gynradd Llanrug"
    assert str(llanrug.opening_date) == "2014-09-01"


def test_rows_without_a_dfes_number_or_name_column_stop_the_import():
    with pytest.raises(SchoolImportError, match="no DfES number column"):
        schools_import(rows=[{"Name": "Llanrug Primary School", "Sector": "Primary"}])


@pytest.mark.parametrize(
    ("sector", "phase"),
    [
        ("Nursery", School.Phase.NURSERY),
        ("PRIMARY", School.Phase.PRIMARY),
        ("Middle", School.Phase.MIDDLE),
        ("All-through", School.Phase.MIDDLE),
        ("3-16", School.Phase.MIDDLE),
        ("3 - 19", School.Phase.MIDDLE),
        ("Secondary school", School.Phase.SECONDARY),
        ("Special", School.Phase.SPECIAL),
        ("Pupil Referral Unit", School.Phase.PRU),
        ("PRU", School.Phase.PRU),
    ],
)
def test_the_sheets_sectors_map_to_phases(sector, phase):
    schools_import(rows=[row(Sector=sector)])

    assert School.objects.get(dfes_number="6612105").phase == phase


@pytest.mark.parametrize("local_authority", ["661", "Gwynedd", "gwynedd", ""])
def test_the_la_column_may_give_a_number_a_name_or_nothing(local_authority):
    report = schools_import(rows=[row(**{"Local Authority": local_authority})])

    assert report.created == 1
    assert School.objects.get(dfes_number="6612105").local_authority.code == 661


def test_the_la_welsh_name_is_understood():
    report = schools_import(
        rows=[row(**{"School Number": "6604012", "Local Authority": "Ynys Môn"})]
    )

    assert report.created == 1


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        ({"School Number": "661210"}, "“661210” is not a DfES number"),
        ({"School Number": "8012001"}, "Welsh local authority"),
        ({"School Name": "  "}, "no English school name"),
        ({"School Number": ""}, "no DfES number"),
        ({"Sector": "Sixth form college"}, "sector “Sixth form college” is not one we know"),
        ({"Sector": ""}, "a new school needs one"),
        ({"Opening Date": "31/02/2026"}, "opening date “31/02/2026” is not a date"),
        ({"Opening Date": "2026-09-01", "Closing Date": "2026-08-31"}, "closing date is before"),
        ({"Status": "Maybe"}, "status “Maybe” is not one we know"),
        ({"Local Authority": "Cardiff"}, "belongs to Gwynedd (661), but the local authority"),
        ({"Local Authority": "Devon"}, "“Devon” is not a Welsh one"),
        ({"School Name": "Ysgol " * 40}, "Hwb keeps at most 200"),
        ({"School Name (Welsh)": "Ysgol\x07Llanrug"}, "Welsh name contains a control character"),
    ],
)
def test_a_bad_row_is_reported_with_its_line_and_the_good_rows_still_load(cells, message):
    report = schools_import(
        rows=[
            row(**{"School Number": "6612001"}),
            row(**cells),
            row(**{"School Number": "6612003"}),
        ]
    )

    assert (report.created, report.rejected) == (2, 1)
    assert [line for line, _problem in report.problems] == [3]
    assert message in report.problems[0][1]
    assert not School.objects.filter(dfes_number="6612105").exists()


def test_the_second_row_with_a_dfes_number_is_the_rejected_one():
    report = schools_import(rows=[row(), row(**{"School Name": "Another School"})])

    assert (report.created, report.rejected) == (1, 1)
    assert report.problems == [
        (
            3,
            "The DfES number 6612105 is already on line 2; a school may appear only once, "
            "so this row was skipped.",
        )
    ]
    assert School.objects.get(dfes_number="6612105").name_en == "Llanrug Primary School"


def test_a_row_with_several_problems_reports_each_once_and_counts_once():
    report = schools_import(rows=[row(**{"School Name": "", "Sector": "Sixth form"})])

    assert report.rejected == 1
    assert [line for line, _problem in report.problems] == [2, 2]


# The command


def test_the_command_prints_a_summary_and_each_bad_row_by_line(tmp_path):
    path = csv_file(
        tmp_path,
        HEADER,
        "6612105,Llanrug Primary School,Ysgol Gynradd Llanrug,Gwynedd,Primary,,Open",
        "6612106,,Ysgol Heb Enw,Gwynedd,Primary,,Open",
        "6722010,Bro Ogwr Welsh-medium Primary School,Ysgol Gymraeg Bro Ogwr,672,Primary,,",
        "6722010,Bro Ogwr Again,Ysgol Gymraeg Bro Ogwr,672,Primary,,",
    )

    stdout, stderr = import_file(path)

    assert "created 2, updated 0, unchanged 0, rejected 2" in stdout
    assert stderr.splitlines() == [
        "line 3: The row has no English school name.",
        "line 5: The DfES number 6722010 is already on line 4; a school may appear only once, "
        "so this row was skipped.",
    ]


def test_running_the_command_twice_reports_everything_unchanged(tmp_path):
    import_file(SAMPLE)

    stdout, stderr = import_file(SAMPLE)

    assert "created 0, updated 0, unchanged 9, rejected 0" in stdout
    assert stderr == ""


def test_each_school_the_command_creates_or_changes_is_audited_and_no_other(tmp_path):
    from accounts.models import AuditEntry

    import_file(SAMPLE)
    created = AuditEntry.objects.filter(action="school.created")
    assert created.count() == 9
    assert created.filter(school__dfes_number="6604012").exists()
    assert "address_list_sample.csv" in created.first().details["source"]

    import_file(SAMPLE)
    assert AuditEntry.objects.filter(action__startswith="school.").count() == 9

    renamed = tmp_path / "renamed.csv"
    renamed.write_text(
        "School Number,School Name,Sector\n6604012,Ysgol David Hughes Newydd,Secondary\n",
        encoding="utf-8",
    )
    import_file(renamed)
    updated = AuditEntry.objects.get(action="school.updated")
    assert updated.details["fields"] == ["name_en"]
    assert updated.target_id == str(updated.school_id)


def test_the_sample_file_loads_every_row():
    stdout, stderr = import_file(SAMPLE)

    assert "created 9, updated 0, unchanged 0, rejected 0" in stdout
    assert stderr == ""
    bro_ogwr = School.objects.get(name_cy="Ysgol Gymraeg Bro Ogwr")
    assert bro_ogwr.local_authority.name_cy == "Pen-y-bont ar Ogwr"
    assert School.objects.get(dfes_number="6812345").status == School.Status.PROPOSED


def test_line_numbers_are_the_files_own_lines(tmp_path):
    path = csv_file(
        tmp_path,
        HEADER,
        '6612105,"Llanrug',
        'Primary School",Ysgol Gynradd Llanrug,Gwynedd,Primary,,Open',
        "",
        "6612106,Bad Sector School,,Gwynedd,Sixth form,,Open",
    )

    _stdout, stderr = import_file(path)

    assert stderr.startswith("line 2: The English name contains a control character")
    assert "line 5: The sector “Sixth form” is not one we know" in stderr


def test_a_utf8_file_with_a_byte_order_mark_loads(tmp_path):
    path = csv_file(
        tmp_path,
        "\ufeff" + HEADER,
        "6702045,Lôn Las Primary School,Ysgol Gymraeg Lôn Las,Abertawe,Primary,,Open",
    )

    stdout, _stderr = import_file(path)

    assert "created 1" in stdout
    assert School.objects.get(dfes_number="6702045").name_cy == "Ysgol Gymraeg Lôn Las"


def test_a_windows_1252_file_loads(tmp_path):
    path = csv_file(
        tmp_path,
        HEADER,
        "6812345,Pen-y-Pîl Primary School,Ysgol Gynradd Gymraeg Pen-y-Pîl,Caerdydd,Primary,,",
        encoding="cp1252",
    )

    stdout, _stderr = import_file(path)

    assert "created 1" in stdout
    assert School.objects.get(dfes_number="6812345").name_cy == "Ysgol Gynradd Gymraeg Pen-y-Pîl"


def test_a_title_row_above_the_headers_is_passed_over(tmp_path):
    path = csv_file(
        tmp_path,
        "Address list of schools - January 2026,,,,,,",
        HEADER,
        "6612105,Llanrug Primary School,Ysgol Gynradd Llanrug,Gwynedd,Primary,,Open",
        "6612106,Bad Sector School,,Gwynedd,Sixth form,,Open",
    )

    stdout, stderr = import_file(path)

    assert "created 1" in stdout
    assert stderr.startswith("line 4: ")


def test_a_file_without_the_needed_headers_raises_command_error(tmp_path):
    path = csv_file(tmp_path, "Code,Title,Sector", "6612105,Llanrug Primary School,Primary")

    with pytest.raises(CommandError, match="no DfES number column.*no school name column"):
        import_file(path)
    assert not School.objects.exists()


def test_an_empty_file_raises_command_error(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")

    with pytest.raises(CommandError, match="no header row"):
        import_file(path)


def test_a_missing_file_raises_command_error(tmp_path):
    with pytest.raises(CommandError, match="Could not read"):
        import_file(tmp_path / "nowhere.csv")


def test_a_file_over_50_mb_is_refused_unread(tmp_path):
    path = tmp_path / "huge.csv"
    with path.open("wb") as huge:
        huge.truncate(50 * 1024 * 1024 + 1)  # sparse: no 50 MB written to disk

    with pytest.raises(CommandError, match="at most 50 MB"):
        import_file(path)


def test_an_excel_workbook_is_refused_with_advice(tmp_path):
    path = tmp_path / "address-list.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 100)

    with pytest.raises(CommandError, match="save it as “CSV UTF-8”"):
        import_file(path)


def test_a_file_that_is_not_valid_csv_imports_nothing(tmp_path):
    path = csv_file(
        tmp_path,
        HEADER,
        "6612105,Llanrug Primary School,Ysgol Gynradd Llanrug,Gwynedd,Primary,,Open",
        "6612106,"
        + "x" * 200_000
        + ",,Gwynedd,Primary,,Open",  # longer than the csv module's field limit
    )

    with pytest.raises(CommandError, match="Line 3 of address-list.csv is not valid CSV"):
        import_file(path)
    assert not School.objects.exists()


def test_long_files_print_progress(tmp_path):
    lines = [HEADER] + [f"66{1000 + n:05d},School {n},Ysgol {n},,Primary,,Open" for n in range(500)]
    path = csv_file(tmp_path, *lines)

    stdout, _stderr = import_file(path)

    assert "500 rows read…" in stdout
    assert "created 500" in stdout
