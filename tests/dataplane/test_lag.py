"""The lag the data plane publishes as Aurora's: an idle writer is not a lagging secondary.

Seen in a soak: "now minus the standby's last replayed commit" read 53 s for a secondary that was
caught up. A quiet writer had written a checkpoint the standby had not yet replayed, and the
drill's switchover was refused for replication lag. Here the same moment is held still with
pg_wal_replay_pause().
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from drkit_lab.dataplane.binaries import PostgresNotFound, find
from drkit_lab.dataplane.plane import DataPlane, Member

pytestmark = pytest.mark.integration
IDLE_SECONDS = 4.0


def member_cluster(name: str, region: str) -> SimpleNamespace:
    """What the data plane reads of a moto cluster."""
    return SimpleNamespace(
        global_cluster_identifier="g-lag", db_cluster_identifier=name, region=region, master_username="dbadmin",
        endpoint=f"{name}.cluster-lag.{region}.rds.amazonaws.com", reader_endpoint=f"{name}.cluster-ro-lag.{region}.rds.amazonaws.com",
        arn=f"arn:aws:rds:{region}:123456789012:cluster:{name}",
    )  # fmt: skip


@pytest.fixture(scope="module")
def plane(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DataPlane]:
    try:
        postgres = find()
    except PostgresNotFound:
        pytest.skip("PostgreSQL is not installed (make install installs it)")
    current = DataPlane(postgres, Path(tmp_path_factory.mktemp("lag")))
    try:
        current.cluster_created(member_cluster("lag-east", "us-east-1"), None, "p" * 20, "ledger")
        current.cluster_created(member_cluster("lag-west", "us-west-2"), None, None, None)
        yield current
    finally:
        current.shutdown()


def caught_up(plane: DataPlane, standby: Member, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while plane.lag_seconds(standby) != 0.0:
        assert time.monotonic() < deadline, "the standby never caught up"
        time.sleep(0.1)


def test_a_caught_up_standby_of_an_idle_writer_shows_no_lag_while_a_checkpoint_is_in_flight(plane: DataPlane) -> None:
    writer, standby = plane.members["lag-east"], plane.members["lag-west"]
    writer.server.sql("CREATE TABLE IF NOT EXISTS ticks (at timestamptz)", database="ledger")
    writer.server.sql("INSERT INTO ticks VALUES (now())", database="ledger")  # the last commit
    caught_up(plane, standby)
    time.sleep(IDLE_SECONDS)  # the writer commits nothing
    standby.server.sql("SELECT pg_wal_replay_pause()")
    try:
        writer.server.sql("CHECKPOINT")  # WAL, but no transaction: held unreplayed on the standby
        current = writer.server.sql("SELECT pg_current_wal_lsn()")[0][0]
        deadline = time.monotonic() + 10
        while not standby.server.sql("SELECT pg_last_wal_receive_lsn() >= %s::pg_lsn", (str(current),))[0][0]:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(0.5)  # the standby's reply reaches the writer
        lag = plane.lag_seconds(standby)
        assert lag is not None and lag < IDLE_SECONDS / 2, f"a caught-up standby of an idle writer reported {lag} s of lag"
    finally:
        standby.server.sql("SELECT pg_wal_replay_resume()")
    caught_up(plane, standby)


def test_a_standby_that_stops_replaying_while_the_writer_commits_shows_growing_lag(plane: DataPlane) -> None:
    writer, standby = plane.members["lag-east"], plane.members["lag-west"]
    caught_up(plane, standby)
    standby.server.sql("SELECT pg_wal_replay_pause()")
    try:
        for _ in range(30):  # 3 s of commits the standby receives and does not replay
            writer.server.sql("INSERT INTO ticks VALUES (now())", database="ledger")
            time.sleep(0.1)
        first = plane.lag_seconds(standby)
        time.sleep(1.0)
        writer.server.sql("INSERT INTO ticks VALUES (now())", database="ledger")
        time.sleep(0.5)
        second = plane.lag_seconds(standby)
        assert first is not None and second is not None and first >= 2.0 and second > first, (first, second)
    finally:
        standby.server.sql("SELECT pg_wal_replay_resume()")
    caught_up(plane, standby)


def test_a_cluster_whose_lag_a_game_day_models_gets_no_real_lag_published(plane: DataPlane) -> None:
    """Aurora is one publisher. Suppose a game day's modeled spike and the servers' real lag were both
    published. The runbook reads the newest minute of the metric, and moto starts that minute at its
    query time to the second. A real "0" published in the same second as the runbook's query would
    then hide the spike: the lag-spike scenario's switchover was allowed once in CI."""
    published: list[tuple[str, str, float]] = []
    plane.model_lag_of({"lag-west"})
    try:
        plane.publish_lag(lambda region, cluster, ms: published.append((region, cluster, ms)))
        assert published == []
    finally:
        plane.model_lag_of(set())
    plane.publish_lag(lambda region, cluster, ms: published.append((region, cluster, ms)))
    assert [(region, cluster) for region, cluster, _ in published] == [("us-west-2", "lag-west")]
