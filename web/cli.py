"""`flask daiban ...`: setup commands for operators, the README's run command and the timer worker."""

import signal
import threading
import time

import click
from flask.cli import AppGroup

from engine.asking.demo import load_demo_households
from engine.cases.calendar_admin import sync_calendar
from engine.cases.promises import flag_broken_promises
from engine.cases.sms_delivery import deliver_due
from engine.cases.timer_sweep import fire_due_timers
from engine.kernel.clock import utcnow
from engine.kernel.settings import sms_url
from engine.library.catalog import sync_catalog
from engine.library.processes import deploy_from_files
from engine.org.org import load_demo_county
from engine.store.db import exclusive
from engine.store.key_retention import purge_expired

from .extensions import db

SETUP_LOCK = 727402


def register(app) -> None:
    group = AppGroup("daiban", help="Daiban administration.")  # commands run inside the app context

    @group.command("init")
    def init():
        """Load the catalog and deploy the process library from bpmn/ (idempotent)."""
        exclusive(db.session, SETUP_LOCK)
        items = sync_catalog(db.session)
        years = sync_calendar(db.session)
        versions = deploy_from_files(db.session)
        db.session.commit()
        click.echo(
            f"catalog entries added: {items}; calendar years added: {years}; process versions deployed: {len(versions)}"
        )

    @group.command("load-demo")
    def load_demo():
        """Load the demo county and its users (password `demo`); only in demo mode."""
        if not app.config.get("DAIBAN_DEMO"):
            raise click.ClickException("refusing to load demo users: set DAIBAN_DEMO=1 (scripts/run --demo)")
        exclusive(db.session, SETUP_LOCK)
        users = load_demo_county(db.session)
        households = load_demo_households(db.session)
        items = sync_catalog(db.session)
        sync_calendar(db.session)
        versions = deploy_from_files(db.session)
        db.session.commit()
        click.echo(
            f"demo users created: {users}; households: {households}; catalog entries added: {items}; "
            f"process versions deployed: {len(versions)}"
        )

    @group.command("check")
    def check():
        """Check every item: inbox matches workflow, open items are held, events pair with changes."""
        from engine.read.consistency import check_consistency

        problems = check_consistency(db.session)
        for problem in problems:
            click.echo(problem)
        click.echo(f"{len(problems)} problems")
        if problems:
            raise SystemExit(1)

    @group.command("worker")
    @click.option("--once", is_flag=True, help="Fire what is due now and exit (for tests and cron).")
    @click.option("--limit", default=100, show_default=True, help="Timers fired per sweep.")
    @click.option(
        "--interval",
        default=30.0,
        show_default=True,
        envvar="DAIBAN_WORKER_INTERVAL",
        help="Seconds between sweeps when idle.",
    )
    def worker(once, limit, interval):
        """Fire due timers (due soon, overdue, resubmission), send the texts waiting in the outbox
        (DAIBAN_SMS_URL), flag items whose materials promised under 容缺受理 are late, and forget the
        phones' Idempotency-Keys older than DAIBAN_IDEMPOTENCY_DAYS (at least 7); several workers may
        run at once."""
        if once:
            click.echo(f"timers fired: {fire_due_timers(db.session, utcnow(), limit)}")
            click.echo(f"texts: {deliver_due(db.session, sms_url(), limit)}")
            click.echo(f"late promised materials: {flag_broken_promises(db.session, utcnow(), limit)}")
            click.echo(f"old idempotency keys removed: {purge_expired(db.session, app.config['IDEMPOTENCY_DAYS'])}")
            return
        stopping = threading.Event()
        # SIGTERM (honcho, Docker) and Ctrl-C end the worker between two sweeps, never inside one.
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stopping.set())
        purged_at = 0.0
        while not stopping.is_set():
            if time.monotonic() - purged_at > 3600:  # the phone's old Idempotency-Keys, once an hour
                purge_expired(db.session, app.config["IDEMPOTENCY_DAYS"])
                purged_at = time.monotonic()
            fired = fire_due_timers(db.session, utcnow(), limit)
            texts = sum(deliver_due(db.session, sms_url(), limit).values())
            flagged = flag_broken_promises(db.session, utcnow(), limit)
            if fired < limit and texts < limit and flagged < limit:
                stopping.wait(interval)  # idle: nothing more is due until the next sweep

    app.cli.add_command(group)
