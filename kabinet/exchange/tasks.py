"""The exchange on a schedule (CELERY_BEAT_SCHEDULE; `manage.py exchange_pickup` and
`manage.py export_readings` / `export_contacts` / `export_payments` from cron in the embedded
mode): the drop folder and S3 are picked up every few minutes; new readings, bill delivery
changes and online payments are exported every night (docs/exchange.md)."""

from collections import Counter

from celery import shared_task

from kabinet.exchange.contacts_export import export_contacts
from kabinet.exchange.drop import pickup
from kabinet.exchange.payments_export import export_payments
from kabinet.exchange.readings_export import export_readings
from kabinet.exchange.stores import upload_exports


@shared_task
def import_drop_folder() -> str:
    """Import what is waiting; a pickup that finds another one running does nothing."""
    picked = pickup(via="задача Celery")
    if picked is None:
        return "another pickup is running"
    counts = Counter(item.batch.status for item in picked)
    return f"{len(picked)} files: " + ", ".join(f"{status} {n}" for status, n in sorted(counts.items()))


@shared_task
def export_for_billing() -> str:
    """What billing has not been sent yet — readings, bill delivery changes, then online payments
    and refunds — into the out folder and, with S3, its out prefix (also files an earlier run
    could not upload)."""
    results = []
    for export in (export_readings, export_contacts, export_payments):
        batch = export(source="задача Celery")
        results.append(f"{batch.kind} {batch.status}: {batch.message}")
    sent = upload_exports()
    if sent is not None:
        results.append(f"uploaded to S3: {', '.join(sent) or 'nothing'}")
    return "; ".join(results)
