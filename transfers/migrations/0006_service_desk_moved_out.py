"""Service-desk requests now belong to service_desk: removed from this app's state only; their
tables stay (service_desk.0001 takes them over)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('service_desk', '0001_initial'),
        ('transfers', '0005_open_requests_claim_their_accounts'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.RemoveField(
                    model_name='servicedeskrequest',
                    name='new_school',
                ),
                migrations.RemoveField(
                    model_name='servicedeskrequest',
                    name='previous_account',
                ),
                migrations.RemoveField(
                    model_name='servicedeskrequest',
                    name='previous_school',
                ),
                migrations.RemoveField(
                    model_name='servicedeskrequest',
                    name='processed_by',
                ),
                migrations.RemoveField(
                    model_name='servicedeskrequest',
                    name='raised_by',
                ),
                migrations.RemoveField(
                    model_name='servicedeskrequest',
                    name='requester',
                ),
                migrations.DeleteModel(
                    name='ServiceDeskEvent',
                ),
                migrations.DeleteModel(
                    name='ServiceDeskRequest',
                ),
            ],
        ),
    ]
