"""Notices and staff match lists now belong to school_changes: removed from this app's state
only; their tables stay (school_changes.0001 takes them over)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('school_changes', '0001_initial'),
        ('transfers', '0003_transfer_request_holder_match'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.RemoveField(
                    model_name='schoolnotice',
                    name='closing_schools',
                ),
                migrations.RemoveField(
                    model_name='schoolnotice',
                    name='continuing_school',
                ),
                migrations.RemoveField(
                    model_name='schoolnotice',
                    name='local_authority',
                ),
                migrations.RemoveField(
                    model_name='schoolnotice',
                    name='receiving_schools',
                ),
                migrations.RemoveField(
                    model_name='schoolnotice',
                    name='school',
                ),
                migrations.RemoveField(
                    model_name='schoolnotice',
                    name='submitted_by',
                ),
                migrations.RemoveField(
                    model_name='staffmatchlist',
                    name='notice',
                ),
                migrations.RemoveField(
                    model_name='staffmatch',
                    name='account',
                ),
                migrations.RemoveField(
                    model_name='staffmatch',
                    name='from_school',
                ),
                migrations.RemoveField(
                    model_name='staffmatch',
                    name='match_list',
                ),
                migrations.RemoveField(
                    model_name='staffmatch',
                    name='proposed_record',
                ),
                migrations.RemoveField(
                    model_name='staffmatch',
                    name='record',
                ),
                migrations.RemoveField(
                    model_name='staffmatchlist',
                    name='approved_by',
                ),
                migrations.RemoveField(
                    model_name='staffmatchlist',
                    name='submitted_by',
                ),
                migrations.DeleteModel(
                    name='SchoolNoticeEvent',
                ),
                migrations.DeleteModel(
                    name='SchoolNotice',
                ),
                migrations.DeleteModel(
                    name='StaffMatch',
                ),
                migrations.DeleteModel(
                    name='StaffMatchList',
                ),
            ],
        ),
    ]
