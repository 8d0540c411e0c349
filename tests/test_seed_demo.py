"""The demo data a newcomer gets from scripts/run: provisioned through the real services."""

from django.core.management import call_command

from accounts.models import AccountMove, SchoolRole, User
from provisioning.models import ClientToken, ProvisioningRun


def test_seed_demo_provisions_four_schools_and_is_safe_to_repeat(db, capsys):
    call_command("seed_demo")
    first = capsys.readouterr().out
    counts = User.objects.count(), SchoolRole.objects.count(), ProvisioningRun.objects.count()
    call_command("seed_demo")
    assert (User.objects.count(), SchoolRole.objects.count(), ProvisioningRun.objects.count()) == (
        counts
    )
    assert "prysd *" in first and "Hwb-Demo-2026" in first
    assert {u.school.local_authority_id for u in User.objects.filter(kind="staff")} == {661, 681}
    assert SchoolRole.objects.filter(role="headteacher").count() == 4
    assert User.objects.get(username="prysd").check_password("Hwb-Demo-2026")
    assert User.objects.filter(kind="governor").count() == 4


def test_the_demo_shows_a_learner_move_and_a_run_with_errors(db, capsys):
    call_command("seed_demo")
    out = capsys.readouterr().out
    move = AccountMove.objects.get()
    assert (move.from_school.dfes_number, move.to_school.dfes_number) == ("6612001", "6614002")
    runs = ProvisioningRun.objects.filter(school__dfes_number="6612001").order_by("pk")
    assert [r.status for r in runs] == ["succeeded", "succeeded"]
    assert [e["code"] for e in runs[1].errors] == ["invalid_check_letter"]
    assert [w["code"] for w in runs[1].warnings] == ["temporary_upn"]
    assert ClientToken.objects.filter(revoked_at__isnull=True).count() == 2
    assert out.count("Provisioning Client token for") == 2
