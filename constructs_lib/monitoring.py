"""ReplicationMonitorConstruct: the per-region lag monitor and the native alarms beside it.

Per region: the monitor Lambda (reserved concurrency from config, default 5), its encrypted
log group, a least-privilege role, an EventBridge ``rate(1 minute)`` schedule, an on-failure
destination to the alert topic, a state parameter, alarms on the monitor's own health, and the
native ``AuroraGlobalDBRPOLag`` alarm of every secondary cluster hosted in the region (a second
line of defence that does not depend on the Lambda).

Sizing: the function makes one DescribeGlobalClusters call, one GetMetricData call per region
with secondaries, one SSM read and write, and at most one SNS publish. 256 MB and a 50 s
timeout leave ample room (a run takes ~1 s) and the timeout stays below the one-minute schedule
so runs never overlap.
"""

from __future__ import annotations

from dataclasses import dataclass

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

from constructs_lib.iam import service_trust
from constructs_lib.lambda_function import function_log_group, hardened_function
from constructs_lib.lambda_package import LambdaPackage

HANDLER = "replication_monitor.handler.lambda_handler"
TIMEOUT_SECONDS = 50
MEMORY_MB = 256
SCHEDULE = "rate(1 minute)"
# X-Ray has no resource-level permissions; the AWS-managed policy keeps "*" out of our statements.
XRAY_WRITE_POLICY = "arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess"
# AWS-published Powertools for AWS Lambda (Python) v3 layer, present in every commercial region.
POWERTOOLS_LAYER = "arn:aws:lambda:{region}:017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-x86_64:27"


@dataclass(frozen=True, kw_only=True)
class ReplicationMonitorProps:
    provider: AwsProvider
    region: str
    environment: str
    name: str  # e.g. drkit-dev: the function name; role names add the region
    account_id: str
    global_cluster_id: str
    kms_key_arn: str
    alert_topic_arn: str
    threshold_seconds: float
    reserved_concurrency: int
    log_retention_days: int
    package: LambdaPackage
    local_secondary_clusters: tuple[str, ...]  # identifiers of secondary clusters in this region

    def __post_init__(self) -> None:
        if self.threshold_seconds <= 0:
            raise ValueError(f"lag_alarm_threshold_seconds: must be positive, got {self.threshold_seconds}")
        if self.reserved_concurrency < 1:
            raise ValueError(f"monitor_reserved_concurrency: must be at least 1, got {self.reserved_concurrency}")


class ReplicationMonitorConstruct(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: ReplicationMonitorProps) -> None:
        super().__init__(scope, construct_id)
        provider = props.provider
        self.function_name = f"{props.name}-replication-monitor"
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
            name=f"/{props.name.replace('-', '/', 1)}/replication-monitor/state",
            type="SecureString",
            key_id=props.kms_key_arn,
            value="{}",
            description="Last alert state of the replication monitor (one alert per state change)",
            lifecycle=TerraformResourceLifecycle(ignore_changes=["value"]),
        )
        role = self._role(props, log_group.arn, state.arn)
        self.function = hardened_function(
            self,
            "",
            provider=provider,
            function_name=self.function_name,
            description="Aurora Global Database replication-lag monitor (drkit)",
            role_arn=role.arn,
            handler=HANDLER,
            package=props.package,
            timeout=TIMEOUT_SECONDS,
            memory_size=MEMORY_MB,
            reserved_concurrency=props.reserved_concurrency,
            kms_key_arn=props.kms_key_arn,
            alert_topic_arn=props.alert_topic_arn,
            log_group=log_group,
            layers=[POWERTOOLS_LAYER.format(region=props.region)],
            variables={
                "DRKIT_ENVIRONMENT": props.environment,
                "STATE_KEY_ID": props.kms_key_arn,
                "GLOBAL_CLUSTER_ID": props.global_cluster_id,
                "ALERT_TOPIC_ARN": props.alert_topic_arn,
                "STATE_PARAMETER": state.name,
                "LAG_THRESHOLD_SECONDS": f"{props.threshold_seconds:g}",
                "POWERTOOLS_SERVICE_NAME": "replication-monitor",
                "POWERTOOLS_METRICS_NAMESPACE": "drkit",
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
        for identifier in props.local_secondary_clusters:
            CloudwatchMetricAlarm(
                self,
                f"rpo_lag_{identifier.replace('-', '_')}",
                provider=provider,
                alarm_name=f"{identifier}-rpo-lag",
                alarm_description=f"RPO lag of secondary {identifier} above {props.threshold_seconds:g} s, or no data",
                namespace="AWS/RDS",
                metric_name="AuroraGlobalDBRPOLag",
                dimensions={"DBClusterIdentifier": identifier},
                statistic="Maximum",
                period=60,
                evaluation_periods=1,
                threshold=props.threshold_seconds * 1000,  # the metric is in milliseconds
                comparison_operator="GreaterThanThreshold",
                treat_missing_data="breaching",
                alarm_actions=[props.alert_topic_arn],
                ok_actions=[props.alert_topic_arn],
            )
        self.function_arn: str = self.function.arn
        self.schedule_rule_name: str = rule.name

    def _role(self, props: ReplicationMonitorProps, log_group_arn: str, state_arn: str) -> IamRole:
        provider = props.provider
        trust = service_trust(self, "trust", provider, "lambda.amazonaws.com")
        role = IamRole(self, "role", provider=provider, name=f"{props.name}-{props.region}-replication-monitor", assume_role_policy=trust.json)
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

    def _health_alarms(self, props: ReplicationMonitorProps) -> None:
        checks = (
            ("errors", "Errors", "GreaterThanOrEqualToThreshold", 1, "notBreaching", "The replication monitor failed"),
            ("throttles", "Throttles", "GreaterThanOrEqualToThreshold", 1, "notBreaching", "The replication monitor was throttled"),
            ("silent", "Invocations", "LessThanThreshold", 1, "breaching", "The replication monitor has not run for 5 minutes"),
        )
        for label, metric, operator, threshold, missing, description in checks:
            CloudwatchMetricAlarm(
                self,
                f"monitor_{label}",
                provider=props.provider,
                alarm_name=f"{self.function_name}-{label}",
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
            )
