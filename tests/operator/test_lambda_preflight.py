"""The plan's Lambda preflight: drkit's reservations against what Lambda leaves unreserved (GetAccountSettings)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from drkit.lambda_concurrency import PreflightError, Reservation, refusal, reservations


class FakeLambda:
    """GetAccountSettings and GetFunction of one region."""

    def __init__(self, total: int, unreserved: int, reserved: dict[str, int] | None = None, denied: bool = False) -> None:
        self.total, self.unreserved, self.reserved, self.denied = total, unreserved, reserved or {}, denied

    def get_account_settings(self) -> dict[str, Any]:
        if self.denied:
            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "not authorized"}}, "GetAccountSettings")
        return {"AccountLimit": {"ConcurrentExecutions": self.total, "UnreservedConcurrentExecutions": self.unreserved}}

    def get_function(self, FunctionName: str) -> dict[str, Any]:
        if FunctionName not in self.reserved:
            raise ClientError({"Error": {"Code": "ResourceNotFoundException", "Message": "Function not found"}}, "GetFunction")
        return {"Configuration": {}, "Concurrency": {"ReservedConcurrentExecutions": self.reserved[FunctionName]}}


def clients(**regions: FakeLambda) -> Any:
    return lambda service, region: regions[region.replace("-", "_")]


DRKIT = [Reservation("us-east-1", "m", 5), Reservation("us-east-1", "r", 1), Reservation("us-west-2", "m", 5), Reservation("us-west-2", "r", 1)]


def test_room_in_every_region_passes() -> None:
    assert refusal(DRKIT, clients(us_east_1=FakeLambda(1000, 1000), us_west_2=FakeLambda(1000, 106))) is None


def test_the_unreserved_pool_decides_not_the_quota() -> None:
    """Quota 1,000 but 900 reserved by other workloads: 100 unreserved cannot give drkit 6 more."""
    line = refusal(DRKIT, clients(us_east_1=FakeLambda(1000, 1000), us_west_2=FakeLambda(1000, 100)))
    assert line == (
        "Lambda in us-west-2 has 100 of the account's 1000 concurrent executions unreserved (GetAccountSettings); drkit would reserve "
        "6 more there (m +5, r +1), leaving 94, below Lambda's minimum of 100 unreserved: raise the account's Lambda concurrency quota "
        "or free reserved concurrency in us-west-2, or lower monitor_reserved_concurrency"
    )


def test_a_new_accounts_quota_is_refused() -> None:
    line = refusal(DRKIT, clients(us_east_1=FakeLambda(10, 10), us_west_2=FakeLambda(1000, 1000)))
    assert line is not None and line.startswith("Lambda in us-east-1 has 10 of the account's 10 concurrent executions unreserved")


def test_what_drkits_functions_already_reserve_is_not_counted_twice() -> None:
    """Deployed: the monitor and the runbook already hold their 6 (out of the pool GetAccountSettings reports)."""
    tight = FakeLambda(1000, 100, reserved={"m": 5, "r": 1})
    assert refusal(DRKIT, clients(us_east_1=tight, us_west_2=FakeLambda(1000, 100, reserved={"m": 5, "r": 1}))) is None
    # Raising the monitor's reservation from 5 to 8 needs 3 more.
    line = refusal([Reservation("us-east-1", "m", 8)], clients(us_east_1=tight))
    assert line is not None and "drkit would reserve 3 more there (m +3), leaving 97" in line


def test_an_unreadable_region_is_an_error_naming_the_permission() -> None:
    with pytest.raises(PreflightError, match=r"us-east-1 .*lambda:GetAccountSettings and lambda:GetFunction"):
        refusal(DRKIT, clients(us_east_1=FakeLambda(1000, 1000, denied=True)))


def test_reservations_are_read_from_the_synthesized_stack(stacks: dict[str, Any]) -> None:
    found = reservations(stacks["dev"])
    assert sorted((r.region, r.function_name, r.reserved) for r in found) == [
        ("us-east-1", "drkit-dev-failover-runbook", 1),
        ("us-east-1", "drkit-dev-replication-monitor", 5),
        ("us-east-1", "drkit-dev-writer-probe", 2),
        ("us-west-2", "drkit-dev-failover-runbook", 1),
        ("us-west-2", "drkit-dev-replication-monitor", 5),
        ("us-west-2", "drkit-dev-writer-probe", 2),
    ]
