"""Requests open when claims arrive take theirs: one open claim per account, whichever route."""

from django.db import migrations

TRANSFER_OPEN = ("submitted", "approved")
DESK_OPEN = ("received", "awaiting", "authorised")


def claims_open(apps, schema_editor):
    Claim = apps.get_model("accounts", "AccountMoveClaim")
    TransferRequest = apps.get_model("transfers", "TransferRequest")
    ServiceDeskRequest = apps.get_model("transfers", "ServiceDeskRequest")
    for route, model, statuses in (
        ("transfer", TransferRequest, TRANSFER_OPEN),
        ("service_desk", ServiceDeskRequest, DESK_OPEN),
    ):
        for request in model.objects.filter(status__in=statuses).order_by("created_at"):
            taken = Claim.objects.filter(closed_at__isnull=True).filter(
                account_id__in=[request.previous_account_id, request.requester_id]
            ) | Claim.objects.filter(closed_at__isnull=True).filter(
                requester_id__in=[request.previous_account_id, request.requester_id]
            )
            if not taken.exists():  # the older request keeps the accounts, as the rules did
                Claim.objects.create(
                    account_id=request.previous_account_id,
                    requester_id=request.requester_id,
                    route=route,
                    opened_at=request.created_at,
                )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0008_account_move_claims"),
        ("transfers", "0004_school_changes_moved_out"),
    ]

    operations = [migrations.RunPython(claims_open, migrations.RunPython.noop)]
