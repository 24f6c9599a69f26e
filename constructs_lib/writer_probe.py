"""WriterProbeConstruct: the writer probe of one region and the alarms that judge other regions' writers.

Per region:

* the probe Lambda (``functions/writer_probe``), **attached to the VPC's app subnets** so that it reaches
  the writer as applications do: through the peering link, admitted on 5432 by the database security
  group (which admits every VPC's app subnets); the app subnets' NAT carries its AWS API calls. Its own
  security group allows exactly that egress. EventBridge runs it every minute (the finest a schedule
  allows); it probes every ``probe_interval_seconds`` within the minute and returns before the next run
  (timeout below a minute). Reserved concurrency 2: a late run may overlap the next rather than be
  throttled (a throttled run is a gap in the data, which decides nothing).
* for every other member region W, the **"writer lost in W, seen from here"** alarm: the minimum of
  ``WriterLost`` (both paths failed) over ``probe_interval_seconds`` periods, ALARM after
  ``lost_after_probes`` breaching periods in a row. It is a high-resolution alarm (CloudWatch API
  Reference, PutMetricAlarm ``Period``: "Valid values are 10, 20, 30, and any multiple of 60"; 10, 20 or 30
  only for metrics stored with a StorageResolution of 1). Missing data is ``notBreaching``: a silent
  probe (its own region failing) is no verdict (``missing`` would be one: CloudWatch's "premature alarm
  state" turns ``- - X - -`` into ALARM). Its action invokes the runbook function of this region
  (CloudWatch User Guide, "Invoke a Lambda function from an alarm": the function's resource policy must
  allow ``lambda.alarms.cloudwatch.amazonaws.com``; scoped here to the alarm's ARN and the account).
  These alarms cannot steer Route 53: its health checks support "Standard-resolution metrics.
  High-resolution metrics aren't supported" (Route 53 API Reference, ``AlarmIdentifier``).
* for every other member region W, the **"writer unreachable in W from here"** page: no probe reached
  the writer's server for a whole minute (``WriterDataPathUp`` maximum below 1). A partition of the
  peering link does only this, and pages it; a lost region does it as well as the rest.
* for every other member region W, the **"control path down in W from here"** page: for five minutes every
  probe found the writer's server answering and W's RDS API not (``WriterApiDownDataPathUp`` minimum 1).
  The quorum then rests on the data path alone (an IAM or SCP denial, a NAT gone): say so before a
  peering blip would look like a lost writer.
* the probe's own health: errors, silence, and blindness page. Blind: the probe runs but has judged
  nothing for five minutes (``ProbeVerdict`` minimum below 1: the writer unknown, or every probe's
  control path failed in this container), which its Lambda metrics cannot show.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from cdktf_cdktf_provider_aws.cloudwatch_event_rule import CloudwatchEventRule
from cdktf_cdktf_provider_aws.cloudwatch_event_target import CloudwatchEventTarget
from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import CloudwatchMetricAlarm
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementCondition,
)
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.lambda_function import LambdaFunctionVpcConfig
from cdktf_cdktf_provider_aws.lambda_function_event_invoke_config import (
    LambdaFunctionEventInvokeConfig,
    LambdaFunctionEventInvokeConfigDestinationConfig,
    LambdaFunctionEventInvokeConfigDestinationConfigOnFailure,
)
from cdktf_cdktf_provider_aws.lambda_permission import LambdaPermission
from cdktf_cdktf_provider_aws.provider import AwsProvider
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from constructs import Construct

from constructs_lib.iam import XRAY_WRITE_POLICY, service_trust
from constructs_lib.lambda_function import function_log_group, hardened_function
from constructs_lib.lambda_package import LambdaPackage
from constructs_lib.naming import function_health_alarm
from constructs_lib.regions import powertools_layer_arn
from functions.writer_probe import contract

HANDLER = "writer_probe.handler.lambda_handler"
MEMORY_MB = 128  # sleeps most of the minute; 128 MB keeps the GB-seconds of a minute-long run low
SCHEDULE = f"rate({contract.SCHEDULE_SECONDS // 60} minute)"
HTTPS_PORT = 443
UNREACHABLE_PERIOD_SECONDS = 60  # a whole minute without a connection pages
DEGRADED_PERIOD_SECONDS = 300  # five minutes on one path, or without a verdict, page (slow enough to be a condition)
# A silent probe (its own region failing, a late or throttled run) must never complete a verdict. "missing"
# does: "if the last few data points are - - X - -, the alarm goes into ALARM state even if missing data points
# are treated as missing" (CloudWatch User Guide, "Configuring how CloudWatch alarms treat missing data",
# "Avoiding premature transitions to alarm state"; the same table gives OK for NOT BREACHING). notBreaching
# fills missing periods with good data only while fewer than Evaluation Periods real points are in the
# evaluation range; with that many, "the value you set for how to treat missing data is not needed and is
# ignored", so three real failed probes still alarm across an empty period (drkit_lab/emulator/evaluation.py).
LOST_ALARM_MISSING_DATA = "notBreaching"


@dataclass(frozen=True, kw_only=True)
class WatchedWriter:
    """A region whose writer this region judges (when it holds the writer), with its alarms' names."""

    region: str
    lost_alarm_name: str
    unreachable_alarm_name: str
    control_path_alarm_name: str


@dataclass(frozen=True, kw_only=True)
class WriterProbeProps:
    provider: AwsProvider
    region: str
    environment: str  # the Environment dimension of the metrics
    account_id: str
    function_name: str
    role_name: str
    security_group_name: str
    global_cluster_id: str
    global_cluster_arn: str
    member_endpoints: Mapping[str, str]  # every member region -> its cluster endpoint, configuration order
    member_cluster_arns: tuple[str, ...]
    vpc_id: str
    app_subnet_ids: tuple[str, ...]
    peer_cidrs: tuple[str, ...]  # every VPC of the stack: where writers can be
    probe_interval_seconds: int
    lost_after_probes: int
    kms_key_arn: str
    alert_topic_arn: str
    runbook_function_arn: str  # this region's runbook function: the lost alarms' action
    latch_parameter_name: str
    latch_parameter_arns: tuple[str, ...]  # in every member region (the probe copies the latch into its own)
    own_latch_parameter_arn: str
    reserved_concurrency: int
    log_retention_days: int
    package: LambdaPackage
    watched: tuple[WatchedWriter, ...]

    def __post_init__(self) -> None:
        if self.probe_interval_seconds not in contract.PROBE_INTERVALS:
            raise ValueError(f"probe_interval_seconds: must be one of {contract.PROBE_INTERVALS}, got {self.probe_interval_seconds}")
        if self.lost_after_probes < 2:
            raise ValueError(f"lost_after_probes: one failed probe is no verdict, got {self.lost_after_probes}")
        if self.region not in self.member_endpoints:
            raise ValueError(f"region: {self.region!r} is not one of the member regions {list(self.member_endpoints)}")
        if not self.app_subnet_ids:
            raise ValueError("app_subnet_ids: the probe runs in the app subnets, where applications reach the writer")
        for watched in self.watched:
            if watched.region == self.region:
                raise ValueError(f"watched: a region cannot judge its own writer ({self.region})")
        if self.reserved_concurrency < 1:
            raise ValueError(f"reserved_concurrency: must be at least 1, got {self.reserved_concurrency}")


class WriterProbeConstruct(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: WriterProbeProps) -> None:
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
        security_group = self._security_group(props)
        role = self._role(props, log_group.arn, security_group.id)
        env = contract.Env
        function = hardened_function(
            self,
            "",
            provider=provider,
            function_name=self.function_name,
            description="Judges the Aurora global writer from another region every few seconds (drkit)",
            role_arn=role.arn,
            handler=props.package.handler(HANDLER),
            package=props.package,
            timeout=contract.TIMEOUT_SECONDS,
            memory_size=MEMORY_MB,
            reserved_concurrency=props.reserved_concurrency,
            kms_key_arn=props.kms_key_arn,
            dead_letter_topic_arn=None,  # failures go to the on-failure destination below: one page, not two
            log_group=log_group,
            layers=[powertools_layer_arn(props.region)],
            variables={
                env.ENVIRONMENT: props.environment,
                env.GLOBAL_CLUSTER_ID: props.global_cluster_id,
                env.MEMBER_ENDPOINTS: contract.render_endpoints(dict(props.member_endpoints)),
                env.PROBE_INTERVAL_SECONDS: str(props.probe_interval_seconds),
                env.LATCH_PARAMETER: props.latch_parameter_name,
                env.POWERTOOLS_SERVICE_NAME: contract.SERVICE,
            },
            vpc_config=LambdaFunctionVpcConfig(subnet_ids=list(props.app_subnet_ids), security_group_ids=[security_group.id]),
        )
        LambdaFunctionEventInvokeConfig(
            self,
            "on_failure",
            provider=provider,
            function_name=function.function_name,
            maximum_retry_attempts=0,  # the next run is a minute away
            destination_config=LambdaFunctionEventInvokeConfigDestinationConfig(
                on_failure=LambdaFunctionEventInvokeConfigDestinationConfigOnFailure(destination=props.alert_topic_arn)
            ),
        )
        rule = CloudwatchEventRule(
            self,
            "schedule",
            provider=provider,
            name=f"{self.function_name}-schedule",
            description="Run the writer probe every minute (it probes every few seconds within the minute)",
            schedule_expression=SCHEDULE,
        )
        CloudwatchEventTarget(self, "schedule_target", provider=provider, rule=rule.name, arn=function.arn, target_id="probe")
        LambdaPermission(
            self,
            "schedule_permission",
            provider=provider,
            statement_id="AllowEventBridgeSchedule",
            action="lambda:InvokeFunction",
            function_name=function.function_name,
            principal="events.amazonaws.com",
            source_arn=rule.arn,
        )
        self._health_alarms(props)
        self.lost_alarm_names: dict[str, str] = {}
        for watched in props.watched:
            self._judge(props, watched)
        self.function_arn: str = function.arn
        self.security_group_id: str = security_group.id

    def _security_group(self, props: WriterProbeProps) -> SecurityGroup:
        group = SecurityGroup(
            self,
            "security_group",
            provider=props.provider,
            name=props.security_group_name,
            description="drkit writer probe: PostgreSQL to the stack's VPCs, HTTPS to AWS APIs; no ingress",
            vpc_id=props.vpc_id,
            tags={"Name": props.security_group_name},
        )
        for index, cidr in enumerate(props.peer_cidrs):
            VpcSecurityGroupEgressRule(
                self,
                f"postgres_egress_{index}",
                provider=props.provider,
                security_group_id=group.id,
                description=f"PostgreSQL SSLRequest to a writer in {cidr}",
                ip_protocol="tcp",
                from_port=contract.POSTGRES_PORT,
                to_port=contract.POSTGRES_PORT,
                cidr_ipv4=cidr,
            )
        VpcSecurityGroupEgressRule(
            self,
            "https_egress",
            provider=props.provider,
            security_group_id=group.id,
            description="HTTPS to the regional AWS API endpoints (RDS, SSM), through the app subnets' NAT",  # CloudWatch too (PutMetricData)
            ip_protocol="tcp",
            from_port=HTTPS_PORT,
            to_port=HTTPS_PORT,
            cidr_ipv4="0.0.0.0/0",
        )
        return group

    def _role(self, props: WriterProbeProps, log_group_arn: str, security_group_id: str) -> IamRole:
        provider = props.provider
        trust = service_trust(self, "trust", provider, "lambda.amazonaws.com")
        role = IamRole(self, "role", provider=provider, name=props.role_name, assume_role_policy=trust.json)
        region, account = props.region, props.account_id
        interfaces = f"arn:aws:ec2:{region}:{account}:network-interface/*"
        permissions = DataAwsIamPolicyDocument(
            self,
            "permissions",
            provider=provider,
            statement=[
                DataAwsIamPolicyDocumentStatement(sid="ReadTopology", actions=["rds:DescribeGlobalClusters"], resources=[props.global_cluster_arn]),
                DataAwsIamPolicyDocumentStatement(sid="WriterAnswers", actions=["rds:DescribeDBClusters"], resources=list(props.member_cluster_arns)),
                DataAwsIamPolicyDocumentStatement(sid="ReadLatch", actions=["ssm:GetParameter"], resources=list(props.latch_parameter_arns)),
                DataAwsIamPolicyDocumentStatement(sid="KeepLatchHere", actions=["ssm:PutParameter"], resources=[props.own_latch_parameter_arn]),
                # PutMetricData has no resource types; its namespace condition key scopes it (CloudWatch User Guide,
                # "Using condition keys to limit access to CloudWatch namespaces").
                DataAwsIamPolicyDocumentStatement(
                    sid="PublishVerdicts",
                    actions=["cloudwatch:PutMetricData"],
                    resources=["*"],
                    condition=[
                        DataAwsIamPolicyDocumentStatementCondition(test="StringEquals", variable="cloudwatch:namespace", values=[contract.NAMESPACE])
                    ],
                ),
                # The on-failure destination publishes to the encrypted alert topic with this role.
                DataAwsIamPolicyDocumentStatement(sid="FailuresPage", actions=["sns:Publish"], resources=[props.alert_topic_arn]),
                DataAwsIamPolicyDocumentStatement(
                    sid="EncryptedTopicAndEnvironment", actions=["kms:GenerateDataKey", "kms:Decrypt"], resources=[props.kms_key_arn]
                ),
                DataAwsIamPolicyDocumentStatement(
                    sid="Logs", actions=["logs:CreateLogStream", "logs:PutLogEvents"], resources=[f"{log_group_arn}:*"]
                ),
                # Lambda creates the function's network interfaces with its execution role (Lambda Developer
                # Guide, "Giving Lambda functions access to resources in an Amazon VPC"): scoped to this
                # region's interfaces, the app subnets and the probe's group. DescribeNetworkInterfaces "only
                # works if it's allowed on all resources" (same guide); it and DescribeSubnets only read.
                DataAwsIamPolicyDocumentStatement(
                    sid="CreateNetworkInterfaces",
                    actions=["ec2:CreateNetworkInterface"],
                    resources=[
                        interfaces,
                        *(f"arn:aws:ec2:{region}:{account}:subnet/{subnet}" for subnet in props.app_subnet_ids),
                        f"arn:aws:ec2:{region}:{account}:security-group/{security_group_id}",
                    ],
                ),
                DataAwsIamPolicyDocumentStatement(
                    sid="ManageNetworkInterfaces",
                    actions=["ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"],
                    resources=[interfaces],
                ),
                DataAwsIamPolicyDocumentStatement(
                    sid="DescribeNetwork", actions=["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"], resources=["*"]
                ),
            ],
        )
        IamRolePolicy(self, "role_policy", provider=provider, role=role.id, policy=permissions.json)
        IamRolePolicyAttachment(self, "tracing", provider=provider, role=role.name, policy_arn=XRAY_WRITE_POLICY)
        return role

    def _judge(self, props: WriterProbeProps, watched: WatchedWriter) -> None:
        label = watched.region.replace("-", "_")
        dimensions = contract.writer_dimensions(props.environment, watched.region)
        lost = CloudwatchMetricAlarm(
            self,
            f"writer_lost_{label}",
            provider=props.provider,
            alarm_name=watched.lost_alarm_name,
            alarm_description=(
                f"Seen from {props.region}: the writer in {watched.region} is lost - its server does not answer through the peering link "
                f"and {watched.region}'s RDS API does not answer for it, {props.lost_after_probes} probes in a row. One vote of the quorum; "
                "invokes the runbook function here, which decides (failover.mode)."
            ),
            namespace=contract.NAMESPACE,
            metric_name=contract.Metric.LOST,
            dimensions=dimensions,
            statistic="Minimum",  # a period is lost only if every probe in it was
            period=props.probe_interval_seconds,
            evaluation_periods=props.lost_after_probes,
            datapoints_to_alarm=props.lost_after_probes,
            threshold=1,
            comparison_operator="GreaterThanOrEqualToThreshold",
            treat_missing_data=LOST_ALARM_MISSING_DATA,
            alarm_actions=[props.runbook_function_arn],
        )
        LambdaPermission(
            self,
            f"writer_lost_{label}_invokes_runbook",
            provider=props.provider,
            statement_id=f"AllowWriterLostAlarm-{watched.region}",
            action="lambda:InvokeFunction",
            function_name=props.runbook_function_arn,
            principal="lambda.alarms.cloudwatch.amazonaws.com",
            source_arn=lost.arn,
            source_account=props.account_id,
        )
        CloudwatchMetricAlarm(
            self,
            f"writer_unreachable_{label}",
            provider=props.provider,
            alarm_name=watched.unreachable_alarm_name,
            alarm_description=(
                f"From {props.region}: no probe reached the writer's server in {watched.region} through the peering link for a minute. "
                f"With {watched.region}'s RDS API answering this is a network partition, not an outage: no failover follows from it."
            ),
            namespace=contract.NAMESPACE,
            metric_name=contract.Metric.DATA_PATH_UP,
            dimensions=dimensions,
            statistic="Maximum",
            period=UNREACHABLE_PERIOD_SECONDS,
            evaluation_periods=1,
            threshold=1,
            comparison_operator="LessThanThreshold",
            treat_missing_data="missing",
            alarm_actions=[props.alert_topic_arn],
            ok_actions=[props.alert_topic_arn],
        )
        CloudwatchMetricAlarm(
            self,
            f"control_path_down_{label}",
            provider=props.provider,
            alarm_name=watched.control_path_alarm_name,
            alarm_description=(
                f"From {props.region}: for five minutes {watched.region}'s RDS API has not answered for the writer while its server did. "
                "The quorum rests on the data path alone (an IAM or SCP denial, a NAT gone): fix it before a peering blip looks like a lost writer."
            ),
            namespace=contract.NAMESPACE,
            metric_name=contract.Metric.API_ONLY_DOWN,
            dimensions=dimensions,
            statistic="Minimum",  # every probe of the period
            period=DEGRADED_PERIOD_SECONDS,
            evaluation_periods=1,
            threshold=1,
            comparison_operator="GreaterThanOrEqualToThreshold",
            treat_missing_data="notBreaching",
            alarm_actions=[props.alert_topic_arn],
            ok_actions=[props.alert_topic_arn],
        )
        self.lost_alarm_names[watched.region] = watched.lost_alarm_name

    def _health_alarms(self, props: WriterProbeProps) -> None:
        checks = (
            ("errors", "Errors", "GreaterThanOrEqualToThreshold", "notBreaching", "The writer probe failed: fast detection is blind"),
            ("silent", "Invocations", "LessThanThreshold", "breaching", "The writer probe has not run for 5 minutes: fast detection is blind"),
        )
        for label, metric, operator, missing, description in checks:
            CloudwatchMetricAlarm(
                self,
                f"probe_{label}",
                provider=props.provider,
                alarm_name=function_health_alarm(self.function_name, label),
                alarm_description=description,
                namespace="AWS/Lambda",
                metric_name=metric,
                dimensions={"FunctionName": self.function_name},
                statistic="Sum",
                period=300,
                evaluation_periods=1,
                threshold=1,
                comparison_operator=operator,
                treat_missing_data=missing,
                alarm_actions=[props.alert_topic_arn],
                ok_actions=[props.alert_topic_arn],
            )
        CloudwatchMetricAlarm(
            self,
            "probe_blind",
            provider=props.provider,
            alarm_name=function_health_alarm(self.function_name, "blind"),
            alarm_description=(
                "The writer probe runs but has judged nothing for 5 minutes (the writer unknown, or its own errors): fast detection is blind"
            ),
            namespace=contract.NAMESPACE,
            metric_name=contract.Metric.VERDICT,
            dimensions=contract.verdict_dimensions(props.environment),
            statistic="Minimum",
            period=DEGRADED_PERIOD_SECONDS,
            evaluation_periods=1,
            threshold=1,
            comparison_operator="LessThanThreshold",
            treat_missing_data="notBreaching",  # a probe that does not run at all is the "silent" alarm's
            alarm_actions=[props.alert_topic_arn],
            ok_actions=[props.alert_topic_arn],
        )
