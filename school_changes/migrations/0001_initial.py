"""School changes move out of transfers: the models are created in Django's state only, over
the tables they already have (their db_table keeps the transfers_ names), and their content types
(with the permissions and admin log entries that point at them) follow them to this app."""

import django.db.models.deletion
import django.utils.timezone
import schools.identifiers
from django.conf import settings
from django.db import migrations, models


MODELS = ("schoolnotice", "schoolnoticeevent", "staffmatchlist", "staffmatch")


def content_types_follow(apps, schema_editor):
    """Give the four models' content types to this app (a fresh database has none yet)."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MODELS:
        if not ContentType.objects.filter(app_label="school_changes", model=model).exists():
            ContentType.objects.filter(app_label="transfers", model=model).update(
                app_label="school_changes"
            )


def content_types_return(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MODELS:
        if not ContentType.objects.filter(app_label="transfers", model=model).exists():
            ContentType.objects.filter(app_label="school_changes", model=model).update(
                app_label="transfers"
            )


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('transfers', '0003_transfer_request_holder_match'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('provisioning', '0005_run_attempts'),
        ('schools', '0003_school_interface_language'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                    migrations.CreateModel(
                        name='SchoolNotice',
                        fields=[
                            ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                            ('kind', models.CharField(choices=[('new_school', 'New school opening'), ('merger', 'Merger'), ('closure', 'Closure')], max_length=20, verbose_name='kind of notice')),
                            ('status', models.CharField(choices=[('received', 'Received'), ('in_progress', 'Being set up by the Hwb team'), ('completed', 'Completed'), ('declined', 'Declined'), ('withdrawn', 'Withdrawn')], default='received', max_length=20, verbose_name='status')),
                            ('submitted_by_username', models.CharField(blank=True, max_length=64, verbose_name='sent by')),
                            ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='sent at')),
                            ('updated_at', models.DateTimeField(auto_now=True)),
                            ('effective_date', models.DateField(verbose_name='date')),
                            ('notice_days', models.PositiveIntegerField(default=0, verbose_name='days of notice given')),
                            ('is_late', models.BooleanField(default=False, verbose_name='late notice')),
                            ('new_school_name', models.CharField(blank=True, max_length=200, verbose_name="new school's name (English)")),
                            ('new_school_name_cy', models.CharField(blank=True, max_length=200, verbose_name="new school's name (Welsh)")),
                            ('proposed_dfes_number', models.CharField(blank=True, max_length=7, validators=[schools.identifiers.validate_dfes_number], verbose_name='proposed DfES number')),
                            ('phase', models.CharField(blank=True, choices=[('nursery', 'Nursery'), ('primary', 'Primary'), ('middle', 'All-through (3 to 16/19)'), ('secondary', 'Secondary'), ('special', 'Special'), ('pru', 'Pupil referral unit')], max_length=20, verbose_name='phase')),
                            ('contact_name', models.CharField(blank=True, max_length=200, verbose_name='contact name')),
                            ('contact_email', models.EmailField(blank=True, max_length=254, verbose_name='contact email')),
                            ('contact_phone', models.CharField(blank=True, max_length=40, verbose_name='contact telephone')),
                            ('notes', models.TextField(blank=True, max_length=2000, verbose_name='notes')),
                            ('hwb_note', models.TextField(blank=True, max_length=2000, verbose_name='note from the Hwb team')),
                            ('closing_schools', models.ManyToManyField(blank=True, related_name='closing_notices', to='schools.school', verbose_name='closing schools')),
                            ('continuing_school', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='schools.school', verbose_name='continuing school')),
                            ('local_authority', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='notices', to='schools.localauthority', verbose_name='local authority')),
                            ('receiving_schools', models.ManyToManyField(blank=True, related_name='receiving_notices', to='schools.school', verbose_name='receiving schools')),
                            ('school', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='opening_notices', to='schools.school', verbose_name='school in Hwb')),
                            ('submitted_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='sent by')),
                        ],
                        options={
                            'verbose_name': 'school change notice',
                            'verbose_name_plural': 'school change notices',
                            'db_table': 'transfers_schoolnotice',
                            'ordering': ['-created_at', '-id'],
                        },
                    ),
                    migrations.CreateModel(
                        name='SchoolNoticeEvent',
                        fields=[
                            ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                            ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                            ('action', models.CharField(max_length=40)),
                            ('actor_username', models.CharField(blank=True, max_length=64)),
                            ('note', models.CharField(blank=True, max_length=500)),
                            ('notice', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='events', to='school_changes.schoolnotice')),
                        ],
                        options={
                            'verbose_name': 'notice event',
                            'verbose_name_plural': 'notice events',
                            'db_table': 'transfers_schoolnoticeevent',
                            'ordering': ['created_at', 'id'],
                        },
                    ),
                    migrations.CreateModel(
                        name='StaffMatchList',
                        fields=[
                            ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                            ('status', models.CharField(choices=[('proposed', "Waiting for the local authority's review"), ('submitted', "Waiting for the Hwb team's approval"), ('approved', 'Approved: moving accounts'), ('completed', 'Accounts moved')], default='proposed', max_length=12, verbose_name='status')),
                            ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='created at')),
                            ('proposed_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='matches proposed at')),
                            ('submitted_by_username', models.CharField(blank=True, max_length=64, verbose_name='submitted by')),
                            ('submitted_at', models.DateTimeField(blank=True, null=True, verbose_name='submitted at')),
                            ('approved_by_username', models.CharField(blank=True, max_length=64, verbose_name='approved by')),
                            ('approved_at', models.DateTimeField(blank=True, null=True, verbose_name='approved at')),
                            ('hwb_note', models.TextField(blank=True, max_length=2000, verbose_name='note from the Hwb team')),
                            ('started_at', models.DateTimeField(blank=True, null=True, verbose_name='moving started at')),
                            ('finished_at', models.DateTimeField(blank=True, null=True, verbose_name='moving finished at')),
                            ('to_move', models.PositiveIntegerField(default=0, verbose_name='accounts to move')),
                            ('moved', models.PositiveIntegerField(default=0, verbose_name='accounts moved')),
                            ('skipped', models.PositiveIntegerField(default=0, verbose_name='accounts skipped')),
                            ('job_runs', models.PositiveSmallIntegerField(default=0, verbose_name='times the move job ran')),
                            ('approved_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                            ('notice', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='match_list', to='school_changes.schoolnotice', verbose_name='notice')),
                            ('submitted_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ],
                        options={
                            'verbose_name': 'staff match list',
                            'verbose_name_plural': 'staff match lists',
                            'db_table': 'transfers_staffmatchlist',
                            'ordering': ['-created_at', '-id'],
                        },
                    ),
                    migrations.CreateModel(
                        name='StaffMatch',
                        fields=[
                            ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                            ('account_username', models.CharField(max_length=64, verbose_name='username')),
                            ('score', models.PositiveSmallIntegerField(default=0, verbose_name='score')),
                            ('confidence', models.CharField(choices=[('sure', 'Sure'), ('doubtful', 'Doubtful'), ('none', 'No match'), ('clash', 'Clash')], max_length=10, verbose_name='confidence')),
                            ('reasons', models.JSONField(blank=True, default=list, verbose_name='reasons')),
                            ('alternatives', models.JSONField(blank=True, default=list)),
                            ('decision', models.CharField(choices=[('pending', 'Not reviewed'), ('confirmed', 'Confirmed'), ('corrected', 'Corrected'), ('rejected', 'Do not move')], default='pending', max_length=10, verbose_name='decision')),
                            ('outcome', models.CharField(blank=True, choices=[('', 'Not moved yet'), ('moved', 'Moved'), ('skipped', 'Skipped')], default='', max_length=10, verbose_name='outcome')),
                            ('skip_reason', models.CharField(blank=True, choices=[('account_gone', 'The account %(username)s no longer exists.'), ('governor', 'It is not possible to move governor accounts.'), ('ite_student', 'Accounts of ITE students are not moved.'), ('not_staff', 'Only school staff accounts can be moved.'), ('moved_meanwhile', 'The account is no longer at %(school)s: it was moved or changed meanwhile.'), ('closed', 'The account has been closed since the matches were approved.'), ('record_gone', "The chosen staff record is no longer in the new school's MIS."), ('record_leaver', "The new school's MIS now shows the chosen staff record as a leaver."), ('record_role', "The new school's MIS now records this person as a governor or ITE student."), ('record_taken', 'The chosen staff record already belongs to another moved account.'), ('record_not_staff', "The chosen staff record's account is not a staff account at the new school.")], max_length=20, verbose_name='why skipped')),
                            ('moved_at', models.DateTimeField(blank=True, null=True, verbose_name='moved at')),
                            ('account', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='account')),
                            ('from_school', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='schools.school', verbose_name='closing school')),
                            ('proposed_record', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='provisioning.misstaff', verbose_name='proposed staff record')),
                            ('record', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='provisioning.misstaff', verbose_name='confirmed staff record')),
                            ('match_list', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='matches', to='school_changes.staffmatchlist')),
                        ],
                        options={
                            'verbose_name': 'staff match',
                            'verbose_name_plural': 'staff matches',
                            'db_table': 'transfers_staffmatch',
                            'ordering': ['from_school_id', 'account_username'],
                        },
                    ),
                    migrations.AddIndex(
                        model_name='schoolnotice',
                        index=models.Index(fields=['local_authority', 'status'], name='transfers_s_local_a_bcd6a1_idx'),
                    ),
                    migrations.AddConstraint(
                        model_name='staffmatch',
                        constraint=models.UniqueConstraint(fields=('match_list', 'account'), name='staffmatch_one_per_account'),
                    ),
            ],
        ),
        migrations.RunPython(content_types_follow, content_types_return),
    ]
