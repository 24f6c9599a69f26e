"""The data plane under the emulated RDS API: real PostgreSQL, real replication, real role changes.

An emulator with ``--dataplane``, a global cluster of three members created through the RDS API
(as Terraform creates them), and the ledger writing through the global writer endpoint while the
writer moves: a switchover must lose nothing; a failover after the writer's region is lost may lose
only what had not replicated; the ledger must balance after both; the old writer must come back
read-only, with its own history set aside.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from drkit_lab.dataplane.binaries import PostgresNotFound, find
from drkit_lab.dataplane.exercise import lag_of, ledger, through
from drkit_lab.dataplane.lab import Lab
from drkit_lab.dataplane.ledger import Connection, verify

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    try:
        find()
    except PostgresNotFound:
        pytest.skip("PostgreSQL is not installed (make install installs it)")
    home = tmp_path_factory.mktemp("dataplane")
    current = Lab(home)
    try:
        yield current.start()
    finally:
        current.stop()
    assert not Path(home, "dataplane.json").exists()  # the servers and their files went with the emulator


def test_every_member_is_a_server_and_the_secondaries_stream(lab: Lab) -> None:
    plane = lab.dataplane()
    assert plane["enabled"] and len(plane["servers"]) == 3
    assert [s["writer"] for s in plane["servers"]] == [True, False, False]
    assert all(s["up"] for s in plane["servers"])


def test_a_client_verifies_the_aws_endpoint_name_and_refuses_any_other(lab: Lab) -> None:
    plane = lab.dataplane()
    endpoint = next(name for name in plane["endpoints"] if ".global-" in name)
    good = Connection(lab.url, endpoint, "dbadmin", lab.password, "transactions", plane["ca"])
    with good.open() as db:
        assert db.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").fetchone() == (True,)
    address, port = good.resolve()
    with pytest.raises(psycopg.OperationalError, match=r"does not match|certificate"):
        psycopg.connect(host="db.ledger.drkit.internal", hostaddr=address, port=port, user="dbadmin", password=lab.password,
                        dbname="transactions", sslmode="verify-full", sslrootcert=plane["ca"], connect_timeout=2)  # fmt: skip


def test_switchover_and_failover_with_the_ledger_writing(lab: Lab) -> None:
    with ledger(lab, lab.outputs) as workload:
        switchover = through(workload, "switchover to eu-west-1", lambda: lab.switchover("eu-west-1"))
        assert lab.writer() == "eu-west-1"
        assert switchover.missing == 0 and switchover.integrity, switchover.summary()
        assert switchover.longest_write_gap_seconds < 30, switchover.summary()

        lag = lag_of(lab, lab.cluster("us-west-2"))
        failover = through(workload, "failover to us-west-2 (eu-west-1 lost)", lambda: lab.lose_region_and_fail_over("us-west-2"), lag_before=lag)
        assert lab.writer() == "us-west-2"
        assert failover.integrity, failover.summary()
        # What may be lost is what had not replicated: every missing commit was acknowledged within the lag (plus a second:
        # a commit in flight) before the region went. Not "to the newest acknowledgement": that includes the new writer's.
        assert failover.missing_before_seconds <= (failover.lag_before_seconds or 0) + 1.0, failover.summary()

        lab.every_region_back()
        servers = {s["cluster"]: s for s in lab.dataplane()["servers"]}
        assert servers[lab.cluster("eu-west-1")]["up"] and not servers[lab.cluster("eu-west-1")]["writer"]
        events = [e["event"] for e in lab.dataplane()["events"]]
        assert "diverged data set aside" in events  # the old writer's own history is kept aside, never served
        # Rebuilt from the new writer, the returning member reports pending-resync until its replica has caught up, then connected.
        started, statuses = time.monotonic(), {}
        while time.monotonic() - started < 60:
            members = lab.client("rds", "us-west-2").describe_global_clusters(GlobalClusterIdentifier=lab.name)["GlobalClusters"][0]
            statuses = {m["DBClusterArn"].split(":")[3]: m["SynchronizationStatus"] for m in members["GlobalClusterMembers"]}
            if set(statuses.values()) == {"connected"}:
                break
            time.sleep(0.5)
        assert set(statuses.values()) == {"connected"}, statuses
        assert "member resynchronized" in [e["event"] for e in lab.dataplane()["events"]]
        back = through(workload, "switchover back to us-east-1", lambda: lab.switchover("us-east-1"))
        assert back.missing == 0 and back.integrity, back.summary()
    print("\n" + "\n".join(m.summary() for m in (switchover, failover, back)))


def test_the_checks_catch_a_lost_commit_and_a_broken_ledger(lab: Lab) -> None:
    """The verdict can fail: remove one acknowledged transfer behind the workload's back."""
    with ledger(lab, lab.outputs) as workload:
        workload.wait_for_commits(5)
        workload.stop()
        lost = workload.acknowledged[-1][0]
        with workload.connection.open() as db:
            db.execute("DELETE FROM entries WHERE transfer_seq = %s", (lost,))
            db.execute("DELETE FROM transfers WHERE seq = %s", (lost,))
            db.commit()
        verdict = verify(workload)
    assert verdict.missing == (lost,)
    assert not verdict.integrity and not verdict.balances_match_entries  # the balances still carry the transfer
