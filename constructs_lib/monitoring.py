"""ReplicationMonitorConstruct: the per-region lag monitor and the alarms fed by it.

Per region: the monitor Lambda (reserved concurrency from config, default 5), its encrypted log
group, a least-privilege role, an EventBridge schedule, an on-failure destination to the alert
topic, a state parameter, alarms on the monitor's own health, and

* the native ``AuroraGlobalDBRPOLag`` alarm of the member cluster hosted in the region. Every
  member has one, whatever its role: Aurora publishes the metric only in a secondary's region
  (Aurora User Guide, metrics reference: "This metric is available only in secondary AWS
  Regions"), so missing data means "this member is the writer now" and is not breaching: a
  planned switchover never leaves an alarm paging. A secondary whose data goes missing is caught by
  the monitor (NO_DATA) and by the writer-health observers.
* the **writer-healthy** alarms of the regions this region observes: ``WriterHealthy`` (published
  by this region's monitor) below 1 for ``detection_periods`` minutes. They live outside the region
  they judge, so a regional outage cannot silence its own verdict; Route 53 health checks read them.
* with ``writer_lost``, the **writer-lost** alarm of one observed region (the primary, for an ARC plan's
  trigger): ``WriterUnreachable`` at 1 for ``detection_periods`` minutes, i.e. the writer is there and that
  region does not answer for it. The writer-healthy alarm is red whenever the writer is elsewhere, after any
  planned switchover too; this one has no data then, and no data is not breaching.

Sizing: one DescribeGlobalClusters, one GetMetricData per region with secondaries, one
DescribeDBClusters of the writer, one SSM read (and a write on change), at most one SNS publish.
256 MB and a 50 s timeout leave ample room (a run takes ~1 s); the timeout stays below the
one-minute schedule so runs never overlap.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.cloudwatch_event_rule import CloudwatchEventRule
from cdktf_cdktf_provider_aws.cloudwatch_event_target import CloudwatchEventTarget
from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import CloudwatchMetricAlarm
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
)
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.lambda_function_event_invoke_config import (
    LambdaFunctionEventInvokeConfig,
    LambdaFunctionEventInvokeConfigDestinationConfig,
    LambdaFunctionEventInvokeConfigDestinationConfigOnFailure,
)
from cdktf_cdktf_provider_aws.lambda_permission import LambdaPermission
from cdktf_cdktf_provider_aws.provider import AwsProvider
from cdktf_cdktf_provider_aws.ssm_parameter import SsmParameter
from constructs import Construct

from constructs_lib.iam import XRAY_WRITE_POLICY, grant_statements, service_trust
from constructs_lib.lambda_function import function_log_group, hardened_function
from constructs_lib.lambda_package import LambdaPackage
from constructs_lib.naming import function_health_alarm
from constructs_lib.point_of_failure import Grant
from constructs_lib.props import DOC
from constructs_lib.regions import powertools_layer_arn
from functions.replication_monitor import contract

HANDLER = "replication_monitor.handler.lambda_handler"
TIMEOUT_SECONDS = 50
MEMORY_MB = 256
SCHEDULE = f"rate({contract.SCHEDULE_SECONDS // 60} minute)"
PERIOD_SECONDS = contract.SCHEDULE_SECONDS  # one datum per run


@dataclass(frozen=True, kw_only=True)
class WatchedRegion:
    """A region whose writer this region's monitor judges, with the name of the alarm to create."""

    region: str
    alarm_name: str


@dataclass(frozen=True, kw_only=True)
class MonitorPreservation:
    """The point-of-failure snapshot after an unplanned failover (``functions/replication_monitor/preserve.py``)."""

    lossy_failover_parameter_name: str  # where the runbook records a failover that allowed data loss (created here, per region)
    snapshot_wait_seconds: int
    reconcile_command: str  # quoted in the pages: what on-call runs next
    grants: tuple[Grant, ...]  # constructs_lib.point_of_failure.monitor_grants

    def __post_init__(self) -> None:
        if self.snapshot_wait_seconds <= 0:
            raise ValueError(f"snapshot_wait_seconds: must be positive, got {self.snapshot_wait_seconds}")


@dataclass(frozen=True, kw_only=True)
class ReplicationMonitorProps:
    provider: AwsProvider
    region: str
    environment: str
    function_name: str
    role_name: str
    state_parameter_name: str
    account_id: str
    global_cluster_id: str
    kms_key_arn: str
    alert_topic_arn: str
    lag_alarm_threshold_seconds: float
    detection_periods: int
    reserved_concurrency: int
    log_retention_days: int
    package: LambdaPackage
    member_regions: tuple[str, ...]  # every region of the global database
    member_cluster_arns: tuple[str, ...]  # every member: the monitor checks that the writer answers
    local_cluster_identifier: str  # the member cluster in this region
    lag_alarm_name: str
    watched: tuple[WatchedRegion, ...]
    function_description: str = field(default="Aurora Global Database replication-lag monitor", metadata={DOC: "the monitor function's description"})
    preservation: MonitorPreservation | None = None
    writer_lost: WatchedRegion | None = field(
        default=None, metadata={DOC: "a region whose loss (the writer there, the region not answering for it) gets an alarm here"}
    )

    def __post_init__(self) -> None:
        if self.lag_alarm_threshold_seconds <= 0:
            raise ValueError(f"lag_alarm_threshold_seconds: must be positive, got {self.lag_alarm_threshold_seconds}")
        if self.reserved_concurrency < 1:
            raise ValueError(f"reserved_concurrency: must be at least 1, got {self.reserved_concurrency}")
        if self.region not in self.member_regions:
            raise ValueError(f"region: {self.region!r} is not one of member_regions {list(self.member_regions)}")
        for watched in self.watched:
            if watched.region == self.region:
                raise ValueError(f"watched: a region cannot judge its own writer ({self.region})")
        if self.writer_lost is not None and self.writer_lost.region == self.region:
            raise ValueError(f"writer_lost: a region cannot judge its own loss ({self.region})")


class ReplicationMonitorConstruct(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: ReplicationMonitorProps) -> None:
        super().__init__(scope, construct_id)
        provider = props.provider
        self.function_name = props.function_name
        log_group = function_log_group(
            self,
            "log_group",
            provider=provider,
            function_name=self.function_name,
            retention_days=props.log_retention_days,
            kms_key_arn=props.kms_key_arn,
        )
        state = SsmParameter(
            self,
            "state",
            provider=provider,
            name=props.state_parameter_name,
            type="SecureString",
            key_id=props.kms_key_arn,
            value="{}",
            description="Last alert state of the replication monitor (one alert per state change)",
            lifecycle=TerraformResourceLifecycle(ignore_changes=["value"]),
        )
        role = self._role(props, log_group.arn, state.arn)
        env = contract.Env
        preservation_variables: dict[str, str] = {}
        if props.preservation is not None:
            preservation_variables = self._preservation(props, props.preservation, role)
        self.function = hardened_function(
            self,
            "",
            provider=provider,
            function_name=self.function_name,
            description=props.function_description,
            role_arn=role.arn,
            handler=HANDLER,
            package=props.package,
            timeout=TIMEOUT_SECONDS,
            memory_size=MEMORY_MB,
            reserved_concurrency=props.reserved_concurrency,
            kms_key_arn=props.kms_key_arn,
            dead_letter_topic_arn=None,  # failures go to the on-failure destination below: one page, not two
            log_group=log_group,
            layers=[powertools_layer_arn(props.region)],
            variables={
                env.ENVIRONMENT: props.environment,
                env.STATE_KEY_ID: props.kms_key_arn,
                env.GLOBAL_CLUSTER_ID: props.global_cluster_id,
                env.ALERT_TOPIC_ARN: props.alert_topic_arn,
                env.STATE_PARAMETER: state.name,
                env.LAG_ALARM_THRESHOLD_SECONDS: f"{props.lag_alarm_threshold_seconds:g}",
                env.MEMBER_REGIONS: ",".join(props.member_regions),
                env.POWERTOOLS_SERVICE_NAME: contract.SERVICE,
                env.POWERTOOLS_METRICS_NAMESPACE: contract.NAMESPACE,
                **preservation_variables,
            },
        )
        LambdaFunctionEventInvokeConfig(
            self,
            "on_failure",
            provider=provider,
            function_name=self.function.function_name,
            maximum_retry_attempts=0,  # the next scheduled run is a minute away
            destination_config=LambdaFunctionEventInvokeConfigDestinationConfig(
                on_failure=LambdaFunctionEventInvokeConfigDestinationConfigOnFailure(destination=props.alert_topic_arn)
            ),
        )
        rule = CloudwatchEventRule(
            self,
            "schedule",
            provider=provider,
            name=f"{self.function_name}-schedule",
            description="Run the replication monitor every minute",
            schedule_expression=SCHEDULE,
        )
        CloudwatchEventTarget(self, "schedule_target", provider=provider, rule=rule.name, arn=self.function.arn, target_id="monitor")
        LambdaPermission(
            self,
            "schedule_permission",
            provider=provider,
            statement_id="AllowEventBridgeSchedule",
            action="lambda:InvokeFunction",
            function_name=self.function.function_name,
            principal="events.amazonaws.com",
            source_arn=rule.arn,
        )
        self._health_alarms(props)
        identifier = props.local_cluster_identifier
        CloudwatchMetricAlarm(
            self,
            f"rpo_lag_{identifier.replace('-', '_')}",
            provider=provider,
            alarm_name=props.lag_alarm_name,
            alarm_description=f"RPO lag of {identifier} above {props.lag_alarm_threshold_seconds:g} s while it is a secondary",
            namespace="AWS/RDS",
            metric_name="AuroraGlobalDBRPOLag",
            dimensions={"DBClusterIdentifier": identifier},
            statistic="Maximum",
            period=PERIOD_SECONDS,
            evaluation_periods=1,
            threshold=props.lag_alarm_threshold_seconds * 1000,  # the metric is in milliseconds
            comparison_operator="GreaterThanThreshold",
            treat_missing_data="notBreaching",  # no data: this member is the writer now (see the module docstring)
            alarm_actions=[props.alert_topic_arn],
            ok_actions=[props.alert_topic_arn],
        )
        self.writer_healthy_alarms: dict[str, str] = {}
        for watched in props.watched:
            alarm = CloudwatchMetricAlarm(
                self,
                f"writer_healthy_{watched.region.replace('-', '_')}",
                provider=provider,
                alarm_name=watched.alarm_name,
                alarm_description=(
                    f"Seen from {props.region}: the writer is not in {watched.region}, or {watched.region} does not answer for it "
                    "(a routing signal for the failover records, not a page)"
                ),
                namespace=contract.NAMESPACE,
                metric_name=contract.Metric.WRITER_HEALTHY,
                dimensions=contract.writer_healthy_dimensions(props.environment, watched.region),
                statistic="Minimum",
                period=PERIOD_SECONDS,
                evaluation_periods=props.detection_periods,
                threshold=1,
                comparison_operator="LessThanThreshold",
                # A silent observer is not evidence against the writer: its own silence alarm pages,
                # and the Route 53 health check keeps its last verdict (insufficient data).
                treat_missing_data="missing",
                # A routing signal for DNS, not a page: in steady state every region without the writer
                # is "not healthy" (game day showed these paging forever). The monitor pages when it loses
                # sight of the writer (logic.topology_transition). So: no alarm actions.
            )
            self.writer_healthy_alarms[watched.region] = alarm.alarm_name
        if props.writer_lost is not None:
            lost = props.writer_lost
            CloudwatchMetricAlarm(
                self,
                f"writer_lost_{lost.region.replace('-', '_')}",
                provider=provider,
                alarm_name=lost.alarm_name,
                alarm_description=(
                    f"Seen from {props.region}: the writer is in {lost.region} and {lost.region} does not answer for it "
                    "(the ARC Region switch plan's trigger; not red when the writer has merely moved)"
                ),
                namespace=contract.NAMESPACE,
                metric_name=contract.Metric.WRITER_UNREACHABLE,
                dimensions=contract.writer_healthy_dimensions(props.environment, lost.region),
                statistic="Maximum",
                period=PERIOD_SECONDS,
                evaluation_periods=props.detection_periods,
                threshold=1,
                comparison_operator="GreaterThanOrEqualToThreshold",
                # No datum: the writer is not there (the monitor publishes only for the writer's region), or this
                # region cannot read the global cluster; neither is evidence that starts a recovery. A lost writer
                # pages through the monitor (logic.topology_transition): no alarm actions here.
                treat_missing_data="notBreaching",
            )
        self.function_arn: str = self.function.arn
        self.schedule_rule_name: str = rule.name

    def _role(self, props: ReplicationMonitorProps, log_group_arn: str, state_arn: str) -> IamRole:
        provider = props.provider
        trust = service_trust(self, "trust", provider, "lambda.amazonaws.com")
        role = IamRole(self, "role", provider=provider, name=props.role_name, assume_role_policy=trust.json)
        permissions = DataAwsIamPolicyDocument(
            self,
            "permissions",
            provider=provider,
            statement=[
                DataAwsIamPolicyDocumentStatement(
                    sid="ReadTopology",
                    actions=["rds:DescribeGlobalClusters"],
                    resources=[f"arn:aws:rds::{props.account_id}:global-cluster:{props.global_cluster_id}"],
                ),
                DataAwsIamPolicyDocumentStatement(sid="WriterAnswers", actions=["rds:DescribeDBClusters"], resources=list(props.member_cluster_arns)),
                DataAwsIamPolicyDocumentStatement(
                    sid="ReadLagMetrics",  # GetMetricData has no resource-level permissions
                    actions=["cloudwatch:GetMetricData"],
                    resources=["*"],
                ),
                DataAwsIamPolicyDocumentStatement(sid="Alert", actions=["sns:Publish"], resources=[props.alert_topic_arn]),
                DataAwsIamPolicyDocumentStatement(
                    sid="EncryptedTopicStateAndEnvironment",
                    actions=["kms:GenerateDataKey", "kms:Decrypt", "kms:Encrypt"],
                    resources=[props.kms_key_arn],
                ),
                DataAwsIamPolicyDocumentStatement(sid="AlertState", actions=["ssm:GetParameter", "ssm:PutParameter"], resources=[state_arn]),
                DataAwsIamPolicyDocumentStatement(
                    sid="Logs", actions=["logs:CreateLogStream", "logs:PutLogEvents"], resources=[f"{log_group_arn}:*"]
                ),
            ],
        )
        IamRolePolicy(self, "role_policy", provider=provider, role=role.id, policy=permissions.json)
        IamRolePolicyAttachment(self, "tracing", provider=provider, role=role.name, policy_arn=XRAY_WRITE_POLICY)
        return role

    def _preservation(self, props: ReplicationMonitorProps, preservation: MonitorPreservation, role: IamRole) -> dict[str, str]:
        """The failover record of this region (the runbook writes it; the value is not Terraform's), the grants, the variables."""
        record = SsmParameter(
            self,
            "lossy_failovers",
            provider=props.provider,
            name=preservation.lossy_failover_parameter_name,
            type="String",
            value='{"failovers": []}',
            description="Failovers that allowed data loss, recorded by the DR runbook (the monitor watches for their point-of-failure snapshot)",
            lifecycle=TerraformResourceLifecycle(ignore_changes=["value"]),
        )
        statements = grant_statements(preservation.grants)
        permissions = DataAwsIamPolicyDocument(self, "preservation_permissions", provider=props.provider, statement=statements)
        IamRolePolicy(self, "preservation_policy", provider=props.provider, role=role.id, policy=permissions.json)
        env = contract.Env
        return {
            env.LOCAL_CLUSTER_ID: props.local_cluster_identifier,
            env.SNAPSHOT_KEY_ID: props.kms_key_arn,
            env.LOSSY_FAILOVER_PARAMETER: record.name,
            env.SNAPSHOT_WAIT_SECONDS: str(preservation.snapshot_wait_seconds),
            env.RECONCILE_COMMAND: preservation.reconcile_command,
        }

    def _health_alarms(self, props: ReplicationMonitorProps) -> None:
        checks = (
            ("errors", "Errors", "GreaterThanOrEqualToThreshold", 1, "notBreaching", "The replication monitor failed"),
            ("throttles", "Throttles", "GreaterThanOrEqualToThreshold", 1, "notBreaching", "The replication monitor was throttled"),
            ("silent", "Invocations", "LessThanThreshold", 1, "breaching", "The replication monitor has not run for 5 minutes"),
        )
        self.health_alarm_arns: dict[str, str] = {}  # errors | throttles | silent -> alarm ARN
        for label, metric, operator, threshold, missing, description in checks:
            self.health_alarm_arns[label] = CloudwatchMetricAlarm(
                self,
                f"monitor_{label}",
                provider=props.provider,
                alarm_name=function_health_alarm(self.function_name, label),
                alarm_description=description,
                namespace="AWS/Lambda",
                metric_name=metric,
                dimensions={"FunctionName": self.function_name},
                statistic="Sum",
                period=300,
                evaluation_periods=1,
                threshold=threshold,
                comparison_operator=operator,
                treat_missing_data=missing,
                alarm_actions=[props.alert_topic_arn],
                ok_actions=[props.alert_topic_arn],
            ).arn
