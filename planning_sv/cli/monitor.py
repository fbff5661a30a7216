"""`planning-sv monitor run [--today YYYY-MM-DD] [--council C]`: statuses and alert emails.

Safe to run from cron every hour: statuses are only rewritten when they change (each change
audited), and each alert email has a dedupe key in the mail log, so it is sent once. Mail
goes through MAIL_URL (SMTP) or NOTIFY_API_KEY (GOV.UK Notify); without either, the alerts
are logged as not configured.
"""

from __future__ import annotations

import datetime as dt
import os

import click

from planning_sv.cli.common import fail
from planning_sv.cli.web import _session, url_option
from planning_sv.core.errors import Problem


@click.group("monitor")
def monitor_group() -> None:
    """Monitoring of secured obligations: statuses and alert emails."""


@monitor_group.command("run")
@click.option("--today", default=None, help="the day to evaluate (YYYY-MM-DD; default: today)")
@click.option("--council", default=None, help="only this council (default: every council)")
@url_option
def run_command(today: str | None, council: str | None, url: str | None) -> None:
    """Update every obligation's status and send the alerts due (each email once)."""
    from planning_sv.core.plans import load_plans
    from planning_sv.mail import mailer_from_config
    from planning_sv.store.monitoring_alerts import run_monitor

    day = dt.date.today()
    if today is not None:
        try:
            day = dt.date.fromisoformat(today)
        except ValueError:
            fail([Problem("--today", f"{today!r} is not a date (YYYY-MM-DD)")])
    if council is not None and council not in load_plans():
        fail([Problem("--council", f"unknown council '{council}'")])
    try:
        mailer = mailer_from_config(os.environ)
    except ValueError as exc:
        fail([Problem("MAIL_URL", str(exc))])
    with _session(url) as session:
        result = run_monitor(session, mailer, day, council=council)
    click.echo(
        f"monitor run {day.isoformat()}: {len(result.changes)} status change(s), "
        f"{result.outgoing} alert(s) due, {result.sent} email(s) sent"
        + ("" if mailer is not None else " (mail not configured: logged only)")
    )
    for change in result.changes:
        click.echo(f"  obligation {change.obligation_id}: {change.before} -> {change.after}")
