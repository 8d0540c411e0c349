"""Celery tasks of Account Transfer: thin and safe to run twice."""

from celery import shared_task

from . import services


@shared_task(acks_late=True)
def transfer_requests_remind() -> int:
    return services.transfer_requests_remind()


@shared_task(acks_late=True)
def transfer_requests_expire() -> int:
    return services.transfer_requests_expire()
