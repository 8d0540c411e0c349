"""Service-desk requests move out of transfers: the models are created in Django's state only,
over the tables they already have (db_table keeps the transfers_ names), and their content types
(with the permissions and admin log entries that point at them) follow them to this app."""

import django.db.models.deletion
import django.utils.timezone
import service_desk.models
import transfers.models.transfer_requests
from django.conf import settings
from django.db import migrations, models


MODELS = ("servicedeskrequest", "servicedeskevent")


def content_types_follow(apps, schema_editor):
    """Give the models' content types to this app (a fresh database has none yet)."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MODELS:
        if not ContentType.objects.filter(app_label="service_desk", model=model).exists():
            ContentType.objects.filter(app_label="transfers", model=model).update(
                app_label="service_desk"
            )


def content_types_return(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MODELS:
        if not ContentType.objects.filter(app_label="transfers", model=model).exists():
            ContentType.objects.filter(app_label="service_desk", model=model).update(
                app_label="transfers"
            )


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('transfers', '0005_open_requests_claim_their_accounts'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('schools', '0003_school_interface_language'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='ServiceDeskRequest',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='raised at')),
                        ('requester_username', models.CharField(max_length=64, verbose_name='new username')),
                        ('raised_by_username', models.CharField(blank=True, max_length=64, verbose_name='raised by')),
                        ('previous_username', models.CharField(max_length=64, verbose_name='existing username')),
                        ('note', models.TextField(blank=True, max_length=2000, verbose_name='note to the service desk')),
                        ('status', models.CharField(choices=[('received', 'Received by the service desk'), ('awaiting', 'Waiting for written authorisation'), ('authorised', 'Authorised by the previous organisation'), ('declined', 'Declined by the previous organisation'), ('completed', 'Account moved'), ('cancelled', 'Cancelled')], default='received', max_length=10, verbose_name='status')),
                        ('authoriser_email', models.EmailField(blank=True, max_length=254, verbose_name='authorisation asked of')),
                        ('authorisation_requested_at', models.DateTimeField(blank=True, null=True, verbose_name='authorisation asked for at')),
                        ('authorisation_method', models.CharField(blank=True, choices=[('link', 'Written on the authorisation page'), ('document', 'Document received by the service desk')], max_length=10, verbose_name='authorised how')),
                        ('authoriser_name', models.CharField(blank=True, max_length=200, verbose_name='authorised by (name)')),
                        ('authoriser_role', models.CharField(blank=True, max_length=200, verbose_name='their role')),
                        ('authoriser_statement', models.TextField(blank=True, max_length=4000, verbose_name='their statement')),
                        ('authorised_at', models.DateTimeField(blank=True, null=True, verbose_name='authorised or declined at')),
                        ('authorisation_document', models.FileField(blank=True, upload_to=service_desk.models.authorisation_upload_to, verbose_name='authorisation document')),
                        ('finished_at', models.DateTimeField(blank=True, null=True, verbose_name='finished at')),
                        ('link_nonce', models.CharField(default=transfers.models.transfer_requests._new_nonce, editable=False, max_length=32)),
                        ('new_school', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='schools.school', verbose_name='new school')),
                        ('previous_account', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='existing account')),
                        ('previous_school', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='schools.school', verbose_name='previous organisation')),
                        ('processed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='processed by')),
                        ('raised_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='raised by')),
                        ('requester', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='service_desk_requests', to=settings.AUTH_USER_MODEL, verbose_name='new account')),
                    ],
                    options={
                        'verbose_name': 'service-desk request',
                        'verbose_name_plural': 'service-desk requests',
                        'db_table': 'transfers_servicedeskrequest',
                        'ordering': ['-created_at', '-id'],
                    },
                ),
                migrations.CreateModel(
                    name='ServiceDeskEvent',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('action', models.CharField(max_length=30)),
                        ('actor_username', models.CharField(blank=True, max_length=64)),
                        ('note', models.CharField(blank=True, max_length=500)),
                        ('request', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='events', to='service_desk.servicedeskrequest')),
                    ],
                    options={
                        'verbose_name': 'service-desk event',
                        'verbose_name_plural': 'service-desk events',
                        'db_table': 'transfers_servicedeskevent',
                        'ordering': ['created_at', 'id'],
                    },
                ),
                migrations.AddConstraint(
                    model_name='servicedeskrequest',
                    constraint=models.UniqueConstraint(condition=models.Q(('status__in', ['received', 'awaiting', 'authorised'])), fields=('requester',), name='servicedesk_one_open_per_requester'),
                ),
                migrations.AddConstraint(
                    model_name='servicedeskrequest',
                    constraint=models.UniqueConstraint(condition=models.Q(('status__in', ['received', 'awaiting', 'authorised'])), fields=('previous_account',), name='servicedesk_one_open_per_previous_account'),
                ),
            ],
        ),
        migrations.RunPython(content_types_follow, content_types_return),
    ]
