"""The pure decisions after a lossy failover: which snapshot, its copy's name, the failover record, the watch, the report."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from constructs_lib.config.loader import parse_environments
from constructs_lib.naming import RDS_IDENTIFIER_MAX, Names
from constructs_lib.point_of_failure import (
    MANAGED_POLICY_MAX,
    RegionScope,
    managed_policies,
    monitor_grants,
    policy_size,
    reconcile_grants,
    record_grants,
)
from drkit.reconcile import decide
from drkit.reconcile.evidence import Exit, LostTransaction, Outcome, Report, TableResult, document, markdown, unaccounted_reasons
from drkit.reconcile.run import divergence_point
from functions.failover import marker
from functions.replication_monitor import preserve
from functions.replication_monitor.contract import PRESERVED_FROM_TAG
from tests.helpers import minimal_environment

T0 = datetime(2026, 11, 29, 14, 0, tzinfo=UTC)


def snapshot(identifier: str, cluster: str | None, created: datetime = T0, status: str = "available", **tags: str) -> preserve.Snapshot:
    return preserve.Snapshot(identifier, f"arn:aws:rds:us-east-1:1:cluster-snapshot:{identifier}", cluster, created, status, True, "automated", tags)


def test_the_point_of_failure_snapshot_is_found_by_its_name_prefix_and_its_cluster() -> None:
    snapshots = [
        snapshot("rds:unplanned-global-failover-drkit-a-us-east-1-2026-11-29-14-00", "drkit-a-us-east-1"),
        snapshot("rds:unplanned-global-failover-drkit-a-us-east-1-us-east-1-2026-11-29-14-00", "drkit-a-us-east-1-us-east-1"),  # env "a-us-east-1"
        snapshot("rds:drkit-a-us-east-1-2026-11-29-03-00", "drkit-a-us-east-1"),  # the daily automated one
        snapshot("rds:unplanned-global-failover-drkit-a-us-east-1-whatever-format", None),  # the timestamp is not parsed
    ]
    found = [s.identifier for s in preserve.points_of_failure(snapshots, "drkit-a-us-east-1")]
    assert found == [snapshots[0].identifier, snapshots[3].identifier]


def test_each_snapshot_is_copied_once_under_a_name_rds_accepts() -> None:
    source = snapshot("rds:unplanned-global-failover-drkit-a-us-east-1-x", "drkit-a-us-east-1", T0 + timedelta(seconds=7))
    prefix = preserve.copy_prefix("drkit-a-us-east-1")
    (plan,) = preserve.plan_copies([source], "drkit-a-us-east-1", prefix)
    assert plan.target == "drkit-a-us-east-1-pof-20261129140007" and plan.target.startswith(Names("a").preserved_snapshot_prefix("us-east-1"))
    copy = snapshot(plan.target, "drkit-a-us-east-1", T0 + timedelta(minutes=1), **{PRESERVED_FROM_TAG: source.arn})
    assert preserve.plan_copies([source, copy], "drkit-a-us-east-1", prefix) == []  # found by name
    renamed = snapshot("drkit-a-us-east-1-pof-kept-by-hand", "drkit-a-us-east-1", **{PRESERVED_FROM_TAG: source.arn})
    assert preserve.plan_copies([source, renamed], "drkit-a-us-east-1", prefix) == []  # found by tag
    creating = snapshot(source.identifier, "drkit-a-us-east-1", status="creating")
    assert preserve.plan_copies([creating], "drkit-a-us-east-1", prefix) == []  # "Must specify a valid source snapshot in the "available" state"
    copying = snapshot(plan.target, "drkit-a-us-east-1", T0 + timedelta(minutes=1), status="copying", **{PRESERVED_FROM_TAG: source.arn})
    assert preserve.plan_copies([source, copying], "drkit-a-us-east-1", prefix) == []  # being made: it is one


def test_a_copy_that_failed_is_no_copy_and_leaves_its_name() -> None:
    source = snapshot("rds:unplanned-global-failover-drkit-a-us-east-1-x", "drkit-a-us-east-1", T0 + timedelta(seconds=7))
    prefix = preserve.copy_prefix("drkit-a-us-east-1")
    failed = snapshot("drkit-a-us-east-1-pof-20261129140007", "drkit-a-us-east-1", status="failed", **{PRESERVED_FROM_TAG: source.arn})
    (plan,) = preserve.plan_copies([source, failed], "drkit-a-us-east-1", prefix)
    assert plan.target == "drkit-a-us-east-1-pof-20261129140007-2" and plan.target.startswith(Names("a").preserved_snapshot_prefix("us-east-1"))
    assert preserve.preserved_copies([failed], prefix) == []  # nothing to restore from
    also = snapshot(plan.target, "drkit-a-us-east-1", status="incompatible-restore", **{PRESERVED_FROM_TAG: source.arn})
    assert [p.target for p in preserve.plan_copies([source, failed, also], "drkit-a-us-east-1", prefix)] == [f"{failed.identifier}-3"]


def test_a_copy_name_fits_wherever_a_restore_name_fits() -> None:
    """The configuration refuses environments whose restores (``<cluster>-restore-<14>-1``) would not fit 63 characters."""
    longest = "a" * 17  # the longest name whose restores fit in ap-southeast-1, the longest region name here
    env = parse_environments({longest: minimal_environment(primary_region="ap-southeast-1", secondary_regions=["ap-northeast-1"])}, source="t").get(
        longest
    )
    for region in env.regions:
        assert len(f"{env.names.preserved_snapshot_prefix(region)}20261129140007-99") <= RDS_IDENTIFIER_MAX  # a copy made again too


def test_the_runbook_record_is_what_the_monitor_reads() -> None:
    value = None
    for minute in range(12):
        value = marker.appended(
            value, marker.entry("arn:aws:rds:us-east-1:1:cluster:a", "arn:aws:rds:us-west-2:1:cluster:b", T0 + timedelta(minutes=minute), 0.4)
        )
    records = preserve.parse_markers(value)
    assert len(records) == marker.KEEP and records[-1].failed_over_at == T0 + timedelta(minutes=11)
    assert (records[-1].old_cluster, records[-1].old_region, records[-1].new_writer, records[-1].target_lag_seconds) == ("a", "us-east-1", "b", 0.4)
    assert records[-1].id == "a@2026-11-29T14:11:00Z"
    assert preserve.parse_markers("not json") == [] and preserve.parse_markers(json.dumps({"failovers": [{"old_cluster_arn": 1}]})) == []
    assert preserve.failover_of(records, "a", T0 + timedelta(minutes=5, seconds=30)) == records[3]
    assert preserve.failover_of(records, "b", T0 + timedelta(hours=1)) is None


def test_the_watch_waits_for_the_region_then_for_the_snapshot_then_pages_once() -> None:
    wait = 600.0
    away = preserve.watch_step(None, False, T0, wait)
    assert away == preserve.Watch(None, look=False)
    back = preserve.watch_step(None, True, T0, wait)
    assert back.state == f"back:{T0.isoformat()}" and not back.look
    assert not preserve.watch_step(back.state, True, T0 + timedelta(seconds=599), wait).look
    due = preserve.watch_step(back.state, True, T0 + timedelta(seconds=600), wait)
    assert due.look and due.state == back.state  # the wait counts from the first run that saw it back
    assert preserve.watch_verdict(False) == preserve.Watch("unrecoverable", look=False, page_unrecoverable=True)
    assert preserve.watch_verdict(True) == preserve.Watch("found", look=False)
    assert preserve.watch_step("unrecoverable", True, T0 + timedelta(days=1), wait) == preserve.Watch("unrecoverable", look=False)  # once


def test_aurora_is_done_with_the_old_primary_once_it_is_an_available_secondary_again() -> None:
    """AWS: "Aurora automatically adds it back to the global cluster as a secondary Region. Before creating the new storage
    volume in the old primary Region, Aurora tries to take a snapshot": not a time after its region answers."""
    old = {"DBClusterArn": "arn:aws:rds:us-east-1:1:cluster:a", "IsWriter": False}
    writer = {"DBClusterArn": "arn:aws:rds:us-west-2:1:cluster:b", "IsWriter": True}
    assert preserve.rebuilt([old, writer], "us-east-1", "a", "available")
    assert not preserve.rebuilt([writer], "us-east-1", "a", "available")  # not added back yet
    assert not preserve.rebuilt([old, writer], "us-east-1", "a", "creating")  # added back, being rebuilt
    assert not preserve.rebuilt([old, writer], "us-east-1", "a", None)  # its region does not answer
    assert not preserve.rebuilt([{**old, "IsWriter": True}], "us-east-1", "a", "available")  # the writer again: not this failover's
    assert not preserve.rebuilt([old], "us-west-2", "a", "available")  # another region's cluster of that name


def transaction(key: str, outcome: Outcome) -> LostTransaction:
    return LostTransaction(key=key, seq=1, from_account=1, to_account=2, amount=5, committed_at=T0, outcome=outcome)


@pytest.mark.parametrize(
    ("outcomes", "reason", "waiting", "code", "unaccounted"),
    [
        ((Outcome.REPLAYED, Outcome.ALREADY_PRESENT), None, False, Exit.ACCOUNTED, "0"),
        ((Outcome.REPLAYED, Outcome.CONFLICT), None, False, Exit.CONFLICTS, "0"),
        ((), "the point-of-failure snapshot was not taken", False, Exit.UNACCOUNTED, "unknown — the point-of-failure snapshot was not taken"),
        ((), "the old primary's region does not answer yet", True, Exit.NOT_YET, "unknown — the old primary's region does not answer yet"),
        ((), None, False, Exit.ACCOUNTED, "0"),  # everything compared, nothing lost
    ],
)  # fmt: skip
def test_the_report_accounts_or_says_why_not(outcomes: tuple[Outcome, ...], reason: str | None, waiting: bool, code: int, unaccounted: str) -> None:
    report = Report(
        environment="e", executed=True, written_at=T0, transactions=tuple(transaction(str(i), o) for i, o in enumerate(outcomes)),
        unaccounted_reason=reason, waiting=waiting,
    )  # fmt: skip
    assert report.exit_code == code and report.unaccounted == unaccounted
    assert document(report)["unaccounted"] == unaccounted and f"**Unaccounted: {unaccounted}**" in markdown(report)
    assert document(report)["totals"]["lost_at_failover"] == len(outcomes)


def test_a_table_that_could_not_be_compared_is_unaccounted() -> None:
    report = Report(environment="e", executed=False, written_at=T0, tables=(TableResult(table="public.p", reason="no change marker"),))
    assert unaccounted_reasons(report) == "table public.p not compared: no change marker"


EAST, WEST = "arn:aws:rds:us-east-1:1:cluster:a", "arn:aws:rds:us-west-2:1:cluster:b"


def test_the_newest_lossy_failover_is_the_record_or_a_newer_snapshot_nobody_recorded() -> None:
    """ARC's ungraceful execution, the console and a runbook run that did not finish leave no record, only the snapshot."""
    record = preserve.LossyFailover(EAST, WEST, T0, 2.5)
    of_a = decide.Sighting("us-east-1", "a", T0 + timedelta(minutes=30))  # the recorded failover's snapshot
    of_b = decide.Sighting("us-west-2", "b", T0 + timedelta(hours=2))  # b failed over later, unrecorded
    assert decide.subject([], []) is None
    assert decide.subject([record], []) == decide.Subject("us-east-1", "a", record)  # its snapshot may not be taken yet
    assert decide.subject([record], [of_a]) == decide.Subject("us-east-1", "a", record)
    assert decide.subject([], [of_a]) == decide.Subject("us-east-1", "a", None)
    assert decide.subject([record], [of_a, of_b]) == decide.Subject("us-west-2", "b", None)
    older = decide.Sighting("us-west-2", "b", T0 - timedelta(days=3))  # an earlier failover's copy, kept as evidence
    assert decide.subject([record], [older]) == decide.Subject("us-east-1", "a", record)
    assert decide.Subject("us-west-2", "b", None).after is None and decide.Subject("us-east-1", "a", record).after == T0


def test_with_nothing_found_the_reason_names_since_and_the_region_that_did_not_answer() -> None:
    assert "--since" in decide.nothing_found([]) and "us-east-1" in decide.nothing_found(["us-east-1"])


def test_one_region_s_ca_bundle_cannot_verify_two_regions() -> None:
    assert decide.bundle_refusal("certs/global-bundle.pem", ("us-east-1", "us-west-2")) is None
    assert decide.bundle_refusal("us-east-1-bundle.pem", ("us-east-1", "us-east-1")) is None  # both in one region
    refusal = decide.bundle_refusal("/tmp/us-east-1-bundle.pem", ("us-east-1", "us-west-2"))
    assert refusal is not None and "global-bundle.pem" in refusal and "us-west-2" in refusal
    assert decide.bundle_refusal("us-gov-west-1-bundle.pem", ("us-gov-east-1", "us-gov-west-1")) is not None
    assert decide.bundle_refusal("my-company-roots.pem", ("us-east-1", "us-west-2")) is None  # not known to be one region's


def test_the_comparison_starts_before_the_last_replicated_commit() -> None:
    failover = preserve.LossyFailover("arn:aws:rds:us-east-1:1:cluster:a", "arn:aws:rds:us-west-2:1:cluster:b", T0, 2.5)
    assert divergence_point(failover, 300) == T0 - timedelta(seconds=302.5)


def test_the_divergence_point_is_the_earlier_of_the_clock_and_the_data() -> None:
    """A failover decided 20 minutes after replication stopped: the clock's window starts 15 minutes after the last
    replicated commit, every transfer in between would be missed; the data's starts before it."""
    clock = T0 - timedelta(seconds=302.5)  # recorded at T0, last known lag 2.5 s
    parted = T0 - timedelta(minutes=20)  # the newest commit the writer has by replication
    late = decide.divergence(None, clock, parted, 300)
    assert late.since == parted - timedelta(seconds=300) and late.reason is None and "earlier of" in late.basis
    assert decide.divergence(None, clock, T0, 300).since == clock  # the data agrees: the clock's is the earlier
    assert decide.divergence(None, None, parted, 300).since == parted - timedelta(seconds=300)  # not recorded by drkit
    assert decide.divergence(None, clock, None, 300).since == clock  # no keyed ledger: the clock, said so
    assert "clock only" in decide.divergence(None, clock, None, 300).basis
    given = T0 - timedelta(hours=1)
    assert decide.divergence(given, clock, parted, 300).since == given  # a person's --since as it is (the guard checks it)
    unknown = decide.divergence(None, None, None, 300)
    assert unknown.since is None and unknown.reason is not None and "--since" in unknown.reason


def test_the_grants_write_nothing_on_star_and_create_grants_only_for_rds() -> None:
    names, scopes = Names("dev"), (RegionScope(region="us-east-1", kms_key_arn="k1"), RegionScope(region="us-west-2", kms_key_arn="k2"))
    grants = (
        *reconcile_grants(names, "1", scopes),
        *monitor_grants(names, "1", scopes[0], ("us-east-1", "us-west-2")),
        *record_grants(names, "1"),
    )
    for grant in grants:
        assert not [r for r in grant.resources if r == "*" or (r.startswith("arn:aws:rds:*") and ":default" not in r)], grant.sid
        if "kms:CreateGrant" in grant.actions:
            assert grant.condition == (("Bool", "kms:GrantIsForAWSResource", ("true",)),), grant.sid
        if "kms:Decrypt" in grant.actions:
            assert grant.condition[0][1] == "kms:ViaService", grant.sid
    # reconciling deletes nothing (the restore's discard does, of restores only) and restores only into `*-restore-*`
    assert not [a for g in grants for a in g.actions if a.startswith(("rds:Delete", "rds:Modify"))]
    (restore,) = [g for g in grants if g.sid == "ReconcileRestoreCopies"]
    assert [r for r in restore.resources if ":cluster:" in r] == [
        f"arn:aws:rds:{r}:1:cluster:drkit-dev-{r}-restore-*" for r in ("us-east-1", "us-west-2")
    ]


@pytest.mark.parametrize("count", [2, 3, 11])  # two regions, three, Aurora's most (a primary and ten secondaries)
def test_the_reconcile_grants_fit_managed_policies_whatever_the_number_of_regions(count: int) -> None:
    from constructs_lib.regions import POWERTOOLS_LAYER_REGIONS

    regions = sorted(POWERTOOLS_LAYER_REGIONS)[:count]
    scopes = tuple(RegionScope(region=r, kms_key_arn=f"${{aws_kms_key.{r.replace('-', '_')}_key.arn}}") for r in regions)
    grants = reconcile_grants(Names("a" * 17), "${data.aws_caller_identity.caller.account_id}", scopes)
    policies = managed_policies(grants)
    assert all(policy_size(policy) <= MANAGED_POLICY_MAX for policy in policies) and len(policies) <= 4  # with the restore's: test_iam_quotas
    granted = {(a, r, g.condition) for g in grants for a in g.actions for r in g.resources}
    packed = {(a, r, g.condition) for policy in policies for g in policy for a in g.actions for r in g.resources}
    assert packed == granted  # nothing lost, nothing added
    assert len({g.sid for policy in policies for g in policy}) == sum(len(policy) for policy in policies)  # statement ids stay unique


class FakeAws:
    """Just what the watch reads: the records, the global cluster's members, the old primary's status; the calls made."""

    def __init__(self, records: str, members: list[dict[str, object]], status: str) -> None:
        self.records, self.members, self.status = records, members, status
        self.calls: list[tuple[str, str, str]] = []

    def __call__(self, service: str, region: str) -> object:
        fake = self

        class Client:
            def __getattr__(self, name: str) -> object:
                def call(**_: object) -> object:
                    fake.calls.append((service, region, name))
                    answers = {
                        "get_parameter": {"Parameter": {"Value": fake.records}},
                        "describe_global_clusters": {"GlobalClusters": [{"GlobalClusterMembers": fake.members}]},
                        "describe_db_clusters": {"DBClusters": [{"Status": fake.status}]},
                        "describe_db_cluster_snapshots": {"DBClusterSnapshots": []},
                    }
                    return answers[name]

                return call

        return Client()


def test_the_watch_reads_each_old_primary_once_and_stops_at_its_budget() -> None:
    """Every record of the parameter is watched each minute, inside a 50 s function whose metrics come at the end: a
    finished record costs nothing, two records of one old primary read it once, and past the budget nothing is read."""
    value = None
    for minute in (0, 5, 10):
        value = marker.appended(value, marker.entry(EAST, WEST, T0 + timedelta(minutes=minute), 0.4))
    old = {"DBClusterArn": EAST, "IsWriter": False}
    aws = FakeAws(str(value), [old, {"DBClusterArn": WEST, "IsWriter": True}], "available")
    settings = preserve.PreservationSettings(
        environment="e", region="us-west-2", member_regions=("us-east-1", "us-west-2"), cluster="b", key_id=None,
        lossy_failover_parameter="/p", wait_seconds=60, command="c", global_cluster_id="g",
    )  # fmt: skip
    first = f"{preserve.STATE_PREFIX}a@2026-11-29T14:00:00Z"
    watched = preserve.watch(settings, aws, T0 + timedelta(hours=1), {first: preserve.FOUND}, clock=lambda: 0.0)
    assert [c for c in aws.calls if c[0] == "rds" and c[1] == "us-east-1"] == [("rds", "us-east-1", "describe_db_clusters")]
    assert watched.state[first] == preserve.FOUND and len(watched.state) == 3
    aws.calls.clear()
    ticks = iter([0.0, 25.0, 25.0, 25.0])  # the budget is spent before the first record is looked at
    late = preserve.watch(settings, aws, T0 + timedelta(hours=1), watched.state, clock=lambda: next(ticks))
    assert [c for c in aws.calls if c[0] == "rds"] == [] and late.state == watched.state  # kept for the next run
