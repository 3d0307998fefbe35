"""Bills per second for one worker, beside baselines measured in the same run.

Creates a throw-away database with N accounts, each billed for one month (two-zone
electricity, heating, hot water, a payment, balances, a holder with a name), then times in
this one process:

  baseline   a bare ReportLab canvas: one A4 page, a dozen lines of DejaVu Sans, no table or QR
  render     `render_bill_pdf` alone (data already gathered): platypus layout, tables, QR code
  job        `generate_bills(period)` on an empty bill table: data queries (a chunk of
             accounts at a time) + render + storing
  re-run     `generate_bills(period)` again: every bill unchanged, so nothing is rendered
  processes  `generate_bills_in_processes` (what `manage.py generate_bills --processes N` runs)
             for the month before, on an empty bill table: the job shared among N processes,
             with its ratio to the one-worker job (the Celery fan-out shares it the same way)

Each in-process line also shows the CPU time this process spent (`time.process_time`): on a
machine shared with other work, wall-clock rates fall with the load while the CPU figure
moves much less, so compare ratios measured in one run.

    .venv/bin/python bench/bills.py [--accounts 300]
"""

import argparse
from datetime import date
from decimal import Decimal
from io import BytesIO
import logging
import os
from pathlib import Path
import sys
import tempfile
import time

ROOT = Path(__file__).resolve().parent.parent
PERIOD = date(2026, 10, 1)


def setup(data_dir: str) -> None:
    os.environ.update(
        KABINET_DATA_DIR=data_dir,
        KABINET_ATTACHMENTS_DIR=str(Path(data_dir) / "attachments"),
        DJANGO_SETTINGS_MODULE="kabinet.settings",
        CELERY_BROKER_URL="",
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    logging.getLogger("kabinet.billing.bill_jobs").setLevel(logging.WARNING)  # one line per batch otherwise


def populate(count: int) -> None:
    from django.db import transaction

    from kabinet.billing import demo
    from kabinet.billing.balances import rebuild_balances
    from kabinet.billing.models import Accrual, Payment, PersonalAccount, Premises, Region, Service
    from kabinet.billing.money import charge
    from kabinet.identity.models import AccountLink, User

    spec = demo.REGIONS[0]
    region = Region.objects.create(
        code=spec.code,
        name=spec.name,
        contact_phone=spec.contact_phone,
        feedback_url=spec.feedback_url,
        is_default=True,
        **demo.payee_details(spec),
    )
    electricity = Service.objects.create(code="electricity", name="Электроснабжение", unit="кВт·ч", ordering=1)
    heating = Service.objects.create(code="heating", name="Отопление", unit="Гкал", ordering=2)
    hot_water = Service.objects.create(code="hot-water", name="Горячее водоснабжение", unit="м³", ordering=3)
    lines = (
        (electricity, "Т1", "160", "6.7100"),
        (electricity, "Т2", "75", "3.3800"),
        (heating, "", "0.640", "3079.5400"),
        (hot_water, "", "3.215", "308.8900"),
    )
    with transaction.atomic():
        premises = Premises.objects.bulk_create(
            [
                Premises(
                    region=region,
                    city="Екатеринбург",
                    street="ул. Малышева",
                    house=str(1 + n // 60),
                    flat=str(1 + n % 60),
                )
                for n in range(count)
            ]
        )
        accounts = PersonalAccount.objects.bulk_create(
            [PersonalAccount(region=region, number=f"6601{n:08d}", premises=p) for n, p in enumerate(premises)]
        )
        users = User.objects.bulk_create(
            [User(phone=f"+7912{n:07d}", first_name="Анна", last_name="Иванова", password="!") for n in range(count)]
        )
        AccountLink.objects.bulk_create([AccountLink(user=u, account=a) for u, a in zip(users, accounts, strict=True)])
        Accrual.objects.bulk_create(
            [
                Accrual(
                    account=a,
                    period=period,
                    service=s,
                    zone=z,
                    volume=Decimal(v),
                    tariff=Decimal(r),
                    amount=charge(Decimal(v), Decimal(r)),
                )
                for a in accounts
                for period in (date(2026, 9, 1), PERIOD)
                for s, z, v, r in lines
            ]
        )
        Payment.objects.bulk_create(
            [
                Payment(account=a, paid_on=date(2026, 10, 6), amount=Decimal("3000.00"), channel="online")
                for a in accounts
            ]
        )
        for account in accounts:
            rebuild_balances(account)


def rate(count: int, seconds: float) -> str:
    return f"{count / seconds:8.1f}/s  ({seconds * 1000 / count:6.1f} ms each)"


def timed(work) -> tuple[float, float, object]:
    """Wall-clock and CPU seconds of `work()`, and what it returned."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def cpu_rate(count: int, seconds: float) -> str:
    return f"cpu {count / seconds:6.1f}/s"


def baseline(count: int) -> float:
    """A bare canvas page with DejaVu Sans: the floor any PDF of ours costs."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen.canvas import Canvas

    from kabinet.billing.bill_pdf import FONT, register_fonts

    register_fonts()
    for n in range(count):
        canvas = Canvas(BytesIO(), pagesize=A4, invariant=1)
        canvas.setFont(FONT, 10)
        for line in range(12):
            canvas.drawString(60, 780 - line * 16, f"Квитанция {n}: строка {line}, к оплате 1 234,56 ₽")
        canvas.showPage()
        canvas.save()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=300)
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kabinet-bench-bills-") as data_dir:
        setup(data_dir)
        populate(args.accounts)
        from kabinet.billing.bill_jobs import generate_bills, generate_bills_in_processes
        from kabinet.billing.bill_pdf import render_bill_pdf
        from kabinet.billing.bills import bill_data
        from kabinet.billing.models import Bill, PersonalAccount

        accounts = list(PersonalAccount.objects.select_related("premises", "region", "link__user"))
        data = [bill_data(account, PERIOD) for account in accounts]
        render_bill_pdf(data[0])  # fonts loaded, caches warm

        base, base_cpu, _ = timed(lambda: baseline(args.accounts))
        render, render_cpu, sizes = timed(lambda: [len(render_bill_pdf(bill)) for bill in data])
        job, job_cpu, first = timed(lambda: generate_bills(PERIOD))
        rerun, _, again = timed(lambda: generate_bills(PERIOD))
        assert first.created == again.unchanged == Bill.objects.count() == args.accounts
        started = time.perf_counter()
        shared = generate_bills_in_processes(date(2026, 9, 1), args.processes, size=max(1, args.accounts // 20))
        parallel = time.perf_counter() - started
        assert shared.created == args.accounts

        n = args.accounts
        print(f"{n} accounts, one worker (this process), SQLite, files on local disk")
        print(f"  baseline  bare canvas page      {rate(n, base)}   {cpu_rate(n, base_cpu)}")
        size = sum(sizes) // len(sizes) // 1024
        print(
            f"  render    render_bill_pdf       {rate(n, render)}   {cpu_rate(n, render_cpu)}"
            f"   ×{base_cpu / render_cpu:.3f} of baseline (cpu)   PDF {size} KiB"
        )
        print(
            f"  job       generate_bills        {rate(n, job)}   {cpu_rate(n, job_cpu)}"
            f"   ×{base_cpu / job_cpu:.3f} of baseline (cpu)   bills per second for one worker"
        )
        print(f"  re-run    generate_bills again  {rate(n, rerun)}   (unchanged: nothing rendered)")
        print(
            f"  processes {args.processes} processes           {rate(n, parallel)}"
            f"   ×{job / parallel:.2f} of one worker, {os.cpu_count()} CPUs"
        )


if __name__ == "__main__":
    main()
