"""Monitoring rules (core/monitoring.py): due dates, statuses at their boundaries, alerts,
fees and the delivery-report CSV. Expected values are worked by hand in the comments."""

from __future__ import annotations

import datetime as dt

import pytest

from planning_sv import config
from planning_sv.core.errors import InputInvalid
from planning_sv.core.monitoring import (
    DuePeriod,
    FeeSchedule,
    ObligationStatus,
    Progress,
    StatusRule,
    Trigger,
    TriggerKind,
    add_period,
    check_report,
    counted_quantity,
    due_date,
    event_key,
    load_monitoring_settings,
    money_counted,
    obligation_alerts,
    obligation_status,
    parse_reports_csv,
    spend_by,
)

D = dt.date
RULE = StatusRule(tolerance=0.2, min_elapsed=0.25, breach_after_days=90, remind_days_before=28)
COMMENCEMENT = Trigger(TriggerKind.COMMENCEMENT)


def test_due_dates_follow_the_trigger_event() -> None:
    events = {"commencement": D(2027, 3, 3)}
    # 3 March 2027 + 26 weeks (182 days) = 1 September 2027
    assert due_date(COMMENCEMENT, DuePeriod(26, "weeks"), events) == D(2027, 9, 1)
    assert due_date(COMMENCEMENT, DuePeriod(0, "weeks"), events) == D(2027, 3, 3)
    assert due_date(COMMENCEMENT, DuePeriod(10, "days"), events) == D(2027, 3, 13)
    # no first-occupation event yet: no due date
    assert due_date(Trigger(TriggerKind.FIRST_OCCUPATION), DuePeriod(4, "weeks"), events) is None
    fixed = Trigger(TriggerKind.FIXED_DATE, on=D(2026, 1, 15))
    assert due_date(fixed, DuePeriod(4, "weeks"), {}) == D(2026, 2, 12)


def test_month_arithmetic_keeps_the_day_or_the_months_last() -> None:
    assert add_period(D(2027, 1, 31), DuePeriod(1, "months")) == D(2027, 2, 28)
    assert add_period(D(2028, 1, 31), DuePeriod(1, "months")) == D(2028, 2, 29)  # leap year
    assert add_period(D(2026, 11, 15), DuePeriod(3, "months")) == D(2027, 2, 15)
    assert add_period(D(2026, 6, 30), DuePeriod(24, "months")) == D(2028, 6, 30)
    assert spend_by(D(2026, 4, 1), 60) == D(2031, 4, 1)
    assert spend_by(None, 60) is None


def test_trigger_keys_name_the_event_an_obligation_waits_for() -> None:
    assert Trigger(TriggerKind.OCCUPATION_PERCENT, percent=50.0).key == "occupation-percent:50"
    assert event_key("occupation-percent", 50) == "occupation-percent:50"
    assert event_key("phase", phase=" 2 ") == "phase:2"
    assert Trigger(TriggerKind.PHASE, phase="2").text == "completion of phase 2"
    assert f"{DuePeriod(26, 'weeks').text} {COMMENCEMENT.text}" == "within 26 weeks of commencement"
    assert DuePeriod(1, "months").text == "within 1 month of"


@pytest.mark.parametrize(
    ("today", "counted", "expected"),
    [
        # due 1 September 2027; nothing verified
        (D(2027, 8, 31), 0.0, ObligationStatus.AT_RISK),  # the day before: behind time
        (D(2027, 9, 1), 0.0, ObligationStatus.AT_RISK),  # on the day: still in time
        (D(2027, 9, 2), 0.0, ObligationStatus.OVERDUE),  # the day after: overdue
        # 5 of 10 verified
        (D(2027, 9, 1), 5.0, ObligationStatus.AT_RISK),  # 50% done, 100% elapsed
        (D(2027, 9, 2), 5.0, ObligationStatus.PART_DELIVERED),
        # all 10 verified: delivered, early or late
        (D(2027, 9, 2), 10.0, ObligationStatus.DELIVERED),
        (D(2027, 3, 4), 10.0, ObligationStatus.DELIVERED),
        # breach: more than 90 days after the due date (1 Sep + 90 days = 30 Nov)
        (D(2027, 11, 30), 0.0, ObligationStatus.OVERDUE),
        (D(2027, 12, 1), 0.0, ObligationStatus.BREACHED),
        (D(2027, 12, 1), 5.0, ObligationStatus.BREACHED),
    ],
)
def test_status_at_the_due_date_boundaries(
    today: dt.date, counted: float, expected: ObligationStatus
) -> None:
    progress = Progress(required=10, counted=counted, start=D(2027, 3, 3), due=D(2027, 9, 1))
    assert obligation_status(progress, today, RULE) is expected


def test_at_risk_rule_compares_progress_with_time_elapsed() -> None:
    # Trigger 1 Jan 2027, due 11 April 2027: 100 days. On 21 Feb, 51 days have passed (0.51).
    start, due = D(2027, 1, 1), D(2027, 4, 11)
    on = D(2027, 2, 21)

    def status(counted: float, rule: StatusRule = RULE) -> ObligationStatus:
        return obligation_status(Progress(10, counted, start, due), on, rule)

    assert status(3.2) is ObligationStatus.ON_TRACK  # 0.32 >= 0.51 - 0.2 = 0.31
    assert status(3.0) is ObligationStatus.AT_RISK  # 0.30 < 0.31
    # A council allowing 0.3 of slack: 0.30 >= 0.21, on track.
    assert status(3.0, StatusRule(tolerance=0.3)) is ObligationStatus.ON_TRACK
    # Before a quarter of the time has gone nobody is at risk: 10 Jan is 9/100 elapsed.
    assert obligation_status(Progress(10, 0, start, due), D(2027, 1, 10), RULE) is (
        ObligationStatus.ON_TRACK
    )


def test_not_yet_due_varied_and_waived() -> None:
    assert obligation_status(Progress(10, 0, None, None), D(2030, 1, 1), RULE) is (
        ObligationStatus.NOT_YET_DUE
    )
    late = Progress(10, 0, D(2020, 1, 1), D(2020, 2, 1), varied=True)
    assert obligation_status(late, D(2030, 1, 1), RULE) is ObligationStatus.VARIED
    waived = Progress(10, 0, D(2020, 1, 1), D(2020, 2, 1), waived=True)
    assert obligation_status(waived, D(2030, 1, 1), RULE) is ObligationStatus.WAIVED


def test_only_verified_delivery_counts() -> None:
    assert counted_quantity("pending", 5, None) == 0
    assert counted_quantity("rejected", 5, None) == 0
    assert counted_quantity("accepted", 5, None) == 5
    assert counted_quantity("partly_accepted", 5, 3) == 3
    # received £1,000 + £500, returned £200: £1,300 paid; secured/allocated/spent are not payments
    txs = [
        ("secured", 2000),
        ("received", 1000),
        ("received", 500),
        ("returned", 200),
        ("spent", 900),
    ]
    assert money_counted(txs) == 1300


def test_alerts_and_their_keys() -> None:
    due = D(2027, 9, 1)
    # 4 August is 28 days before 1 September (31 - 4 + 1): the reminder; 3 August (29 days
    # before) is too early.
    soon = obligation_alerts(7, ObligationStatus.ON_TRACK, due, D(2027, 8, 4), RULE)
    assert [(a.audience, a.kind, a.dedupe_key) for a in soon] == [
        ("developer", "due-soon", "due-soon:7:2027-09-01")
    ]
    assert obligation_alerts(7, ObligationStatus.ON_TRACK, due, D(2027, 8, 3), RULE) == []
    overdue = obligation_alerts(7, ObligationStatus.OVERDUE, due, D(2027, 9, 2), RULE)
    assert [(a.audience, a.dedupe_key) for a in overdue] == [
        ("developer", "overdue:developer:7:2027-09-01"),
        ("officer", "overdue:officer:7:2027-09-01"),
    ]
    assert obligation_alerts(7, ObligationStatus.DELIVERED, due, D(2027, 9, 2), RULE) == []
    assert obligation_alerts(7, ObligationStatus.NOT_YET_DUE, None, D(2027, 9, 2), RULE) == []


def test_fee_schedules() -> None:
    per_obligation = FeeSchedule("per-obligation", 460, "SPD", None, "placeholder")
    per_trigger = FeeSchedule("per-trigger", 460, "SPD", None, "placeholder")
    triggers = ["commencement", "commencement", "first-occupation"]
    assert per_obligation.fee_for(triggers) == (1380.0, 3)  # 3 x £460
    assert per_trigger.fee_for(triggers) == (920.0, 2)  # 2 distinct triggers x £460


def test_council_settings_are_data() -> None:
    islington = load_monitoring_settings("islington", config.LOCAL_PLANS_DIR)
    salford = load_monitoring_settings("salford", config.LOCAL_PLANS_DIR)
    assert islington.fees is not None and islington.fees.basis == "per-obligation"
    assert salford.fees is not None and salford.fees.basis == "per-trigger"
    assert "122(2A)" in islington.fees.citation
    assert salford.rule.tolerance == 0.25
    nowhere = load_monitoring_settings("nowhere", config.LOCAL_PLANS_DIR)
    assert nowhere.fees is None and nowhere.rule == StatusRule()


def test_report_checks_name_every_field() -> None:
    report, problems = check_report(
        {"obligation": "", "period_start": "2026-13-01", "period_end": "", "quantity": "-3"}
    )
    assert report is None
    assert sorted(p.path for p in problems) == [
        "$.obligation",
        "$.period_end",
        "$.period_start",
        "$.quantity",
    ]
    assert next(p.message for p in problems if p.path == "$.quantity") == "must not be negative"
    report, problems = check_report(
        {
            "obligation": "3",
            "period_start": "01/04/2026",
            "period_end": "2026-06-30",
            "quantity": "1,200",
        }
    )
    assert problems == [] and report is not None
    assert (report.period_start, report.quantity) == (D(2026, 4, 1), 1200.0)


def test_reports_csv_all_problems_in_one_pass() -> None:
    text = (
        "obligation,period_start,period_end,quantity,ward,postcode\n"
        "3,2026-04-01,2026-06-30,2,E05013706,\n"
        "3,2026-04-01,2026-06-30,1,E05013706,N7 8QP\n"
    )
    with pytest.raises(InputInvalid) as caught:
        parse_reports_csv(text)
    assert [str(p) for p in caught.value.problems] == [
        "row 3, column ward: give a ward or a postcode, not both"
    ]
    with pytest.raises(InputInvalid) as caught:
        parse_reports_csv("obligation,quantity,colour\n")
    assert [str(p) for p in caught.value.problems] == [
        "row 1: missing column(s): period_start, period_end",
        "row 1: unknown column(s): colour (known: obligation, period_start, period_end, "
        "quantity, ward, postcode, note)",
    ]
    rows = parse_reports_csv(
        "\ufeffobligation,period_start,period_end,quantity,ward\n\n3,2026-04-01,2026-06-30,2,E05013706\n"
    )
    assert rows == [
        (
            "row 3",
            {
                "obligation": "3",
                "period_start": "2026-04-01",
                "period_end": "2026-06-30",
                "quantity": "2",
                "where": {"ward": "E05013706"},
                "note": None,
            },
        )
    ]
