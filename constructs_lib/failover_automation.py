"""What the runbook function and the DR role need for the failover automation: settings and permissions.

``DrOperationsConstruct`` takes a :class:`RunbookAutomation` and merges its environment variables into the
runbook function's and its statements into the runbook's role (read the observers' alarms, take and read
the latch) and the DR role (read and remove the latch: ``rearm``). Names come from
:class:`~constructs_lib.naming.Names`, variable names from ``functions/failover/contract.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import DataAwsIamPolicyDocumentStatement

from constructs_lib.naming import Names
from functions.failover.contract import AutomationEnv, FailoverMode


@dataclass(frozen=True, kw_only=True)
class RunbookAutomation:
    names: Names
    account_id: str
    member_regions: tuple[str, ...]  # configuration order: the tie-break of the target
    mode: FailoverMode
    dry_run: bool
    max_lag_seconds: float  # the RPO budget
    probe_interval_seconds: int
    lost_after_probes: int

    def __post_init__(self) -> None:
        if len(self.member_regions) < 2:
            raise ValueError(f"member_regions: the automation needs at least two regions, got {list(self.member_regions)}")
        if self.max_lag_seconds <= 0:
            raise ValueError(f"max_lag_seconds: must be positive, got {self.max_lag_seconds}")

    def variables(self) -> dict[str, str]:
        env = AutomationEnv
        return {
            env.MODE: self.mode.value,
            env.DRY_RUN: "true" if self.dry_run else "false",
            env.MEMBER_REGIONS: ",".join(self.member_regions),
            env.WRITER_LOST_ALARM: self.names.writer_lost_alarm_template,
            env.LATCH_PARAMETER: self.names.automation_latch_parameter,
            env.MAX_LAG_SECONDS: f"{self.max_lag_seconds:g}",
            env.CONFIG_NAME: self.names.environment_name,
            env.PROBE_INTERVAL_SECONDS: str(self.probe_interval_seconds),
            env.LOST_AFTER_PROBES: str(self.lost_after_probes),
        }

    def latch_arns(self) -> list[str]:
        return [self.names.automation_latch_arn(self.account_id, region) for region in self.member_regions]

    def alarm_arns(self) -> list[str]:
        """Every observer's "writer lost" alarm, for every writer region."""
        return [
            f"arn:aws:cloudwatch:{observer}:{self.account_id}:alarm:{self.names.writer_lost_alarm(writer, observer)}"
            for writer in self.member_regions
            for observer in self.member_regions
            if writer != observer
        ]

    def runbook_statements(self) -> list[DataAwsIamPolicyDocumentStatement]:
        return [
            # DescribeAlarms takes alarm ARNs ("you must be signed on with the cloudwatch:DescribeAlarms
            # permission that is scoped to *" only to read composite alarms: CloudWatch API Reference).
            DataAwsIamPolicyDocumentStatement(sid="ReadQuorum", actions=["cloudwatch:DescribeAlarms"], resources=self.alarm_arns()),
            DataAwsIamPolicyDocumentStatement(sid="Latch", actions=["ssm:GetParameter", "ssm:PutParameter"], resources=self.latch_arns()),
        ]

    def operator_statements(self) -> list[DataAwsIamPolicyDocumentStatement]:
        return [
            DataAwsIamPolicyDocumentStatement(sid="RearmAutomation", actions=["ssm:GetParameter", "ssm:DeleteParameter"], resources=self.latch_arns())
        ]
