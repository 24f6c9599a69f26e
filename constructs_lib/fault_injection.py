"""FaultInjectionConstruct: an AWS FIS experiment that cuts the primary region's subnets off the network.

The real-AWS counterpart of the local game day's ``primary-region-outage``: an experiment template in
the primary region with an action per five subnets (a target takes at most five ARNs), all starting
together, each ``aws:network:disrupt-connectivity`` with scope ``all``: together they put a deny-all
network ACL (tagged ``managedByFIS``) on the primary's app and data subnets for the configured
duration, then restore the original association (AWS FIS user guide, actions reference).
Nothing runs until someone starts it (``make gameday ENV=<env>``): a template costs nothing.

What it touches: the primary region's app and data subnets (their clients lose the database and
each other; the Aurora cluster itself, its storage replication, the RDS API and CloudWatch keep
running: AWS operates those outside the VPC). What it does not: any other region, any other subnet.
So it rehearses the part of a regional outage a team controls: the clients of the primary region
cut off, the operator deciding and running the failover from a surviving region.

Guardrails:

* **stop conditions** are the stack's alarms in the experiment's region that watch what the
  experiment must *not* touch: the primary's replication monitor erroring or falling silent (it runs
  outside the VPC, so either means the fault reached further than the subnets). Alarms of the same
  region only: the FIS documentation names stop conditions by alarm ARN and does not promise any
  other region's alarm;
* ``empty_target_resolution_mode = fail``: a subnet list that resolves to nothing fails the
  experiment instead of "passing" it;
* the **role** is assumable only by FIS for experiments of this account and region (``aws:SourceAccount``,
  ``aws:SourceArn``, the confused-deputy conditions of the FIS user guide) and carries AWS's managed
  ``AWSFaultInjectionSimulatorNetworkAccess`` policy, whose network-ACL permissions are limited to ACLs
  tagged ``managedByFIS`` (AWS managed policy reference);
* every experiment logs to an encrypted log group (schema 2); the role may set up that delivery.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementCondition,
    DataAwsIamPolicyDocumentStatementPrincipals,
)
from cdktf_cdktf_provider_aws.fis_experiment_template import (
    FisExperimentTemplate,
    FisExperimentTemplateAction,
    FisExperimentTemplateActionParameter,
    FisExperimentTemplateActionTarget,
    FisExperimentTemplateExperimentOptions,
    FisExperimentTemplateLogConfiguration,
    FisExperimentTemplateLogConfigurationCloudwatchLogsConfiguration,
    FisExperimentTemplateStopCondition,
    FisExperimentTemplateTarget,
)
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.provider import AwsProvider
from constructs import Construct

from constructs_lib.fault_injection_contract import DEFAULT_EXPERIMENT_TAG, PRIMARY_REGION_OUTAGE
from constructs_lib.props import DOC

NETWORK_ACCESS_POLICY = "arn:aws:iam::aws:policy/service-role/AWSFaultInjectionSimulatorNetworkAccess"
ACTION = "aws:network:disrupt-connectivity"
TARGET = "primary-subnets"
# A target lists at most 5 resource ARNs (provider schema of aws_fis_experiment_template,
# target.resource_arns: MaxItems 5; "Error: Too many list items" otherwise): the subnets are split
# into targets of 5, one action per target, all starting together.
MAX_ARNS_PER_TARGET = 5
# FIS sets up the experiment's log delivery with its role's permissions (AWS FIS user guide,
# "Experiment logging": "You must grant AWS FIS permissions to send logs"; CloudWatch Logs user guide,
# logs sent to CloudWatch Logs; aws-samples/aws-fault-injection-simulator-workshop issue 390 shows the
# experiment failing without them). These actions have no resource-level scoping but the first.
LOG_DELIVERY_ACTIONS = ("logs:CreateLogDelivery", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DescribeLogGroups")
EXPERIMENT = PRIMARY_REGION_OUTAGE


@dataclass(frozen=True, kw_only=True)
class FaultInjectionProps:
    provider: AwsProvider  # the primary region's
    iam_provider: AwsProvider
    name: str  # role, log group and template name stem
    region: str
    account_id: str
    subnet_arns: tuple[str, ...]  # the primary's app and data subnets
    stop_alarm_arns: tuple[str, ...]  # alarms of ``region`` (ARNs are tokens at synth: the stack passes the primary monitor's)
    duration_minutes: int
    kms_key_arn: str
    log_retention_days: int
    experiment_tag: str = field(
        default=DEFAULT_EXPERIMENT_TAG, metadata={DOC: f"the tag whose value, `{PRIMARY_REGION_OUTAGE}`, marks the template for a runner to find"}
    )

    def __post_init__(self) -> None:
        if not self.subnet_arns:
            raise ValueError("subnet_arns: the experiment needs at least one subnet")
        if not self.stop_alarm_arns:
            raise ValueError("stop_alarm_arns: an experiment without a stop condition is not allowed here")


class FaultInjectionConstruct(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: FaultInjectionProps) -> None:
        super().__init__(scope, construct_id)
        trust = DataAwsIamPolicyDocument(
            self,
            "trust",
            provider=props.iam_provider,
            statement=[
                DataAwsIamPolicyDocumentStatement(
                    actions=["sts:AssumeRole"],
                    principals=[DataAwsIamPolicyDocumentStatementPrincipals(type="Service", identifiers=["fis.amazonaws.com"])],
                    condition=[
                        DataAwsIamPolicyDocumentStatementCondition(test="StringEquals", variable="aws:SourceAccount", values=[props.account_id]),
                        DataAwsIamPolicyDocumentStatementCondition(
                            test="ArnLike",
                            variable="aws:SourceArn",
                            values=[f"arn:aws:fis:{props.region}:{props.account_id}:experiment/*"],
                        ),
                    ],
                )
            ],
        )
        self.role = IamRole(
            self,
            "role",
            provider=props.iam_provider,
            name=f"{props.name}-fis",
            description=f"AWS FIS: the {EXPERIMENT} experiment of {props.name} (network ACLs tagged managedByFIS only)",
            assume_role_policy=trust.json,
        )
        IamRolePolicyAttachment(self, "network_access", provider=props.iam_provider, role=self.role.name, policy_arn=NETWORK_ACCESS_POLICY)
        log_group = CloudwatchLogGroup(
            self,
            "log_group",
            provider=props.provider,
            name=f"/aws/fis/{props.name}",
            retention_in_days=props.log_retention_days,
            kms_key_id=props.kms_key_arn,
        )
        groups = [props.subnet_arns[i : i + MAX_ARNS_PER_TARGET] for i in range(0, len(props.subnet_arns), MAX_ARNS_PER_TARGET)]
        names = [TARGET if len(groups) == 1 else f"{TARGET}-{index + 1}" for index in range(len(groups))]
        logging = DataAwsIamPolicyDocument(
            self,
            "log_delivery",
            provider=props.iam_provider,
            statement=[DataAwsIamPolicyDocumentStatement(sid="ExperimentLogDelivery", actions=list(LOG_DELIVERY_ACTIONS), resources=["*"])],
        )
        IamRolePolicy(self, "log_delivery_policy", provider=props.iam_provider, role=self.role.id, policy=logging.json)
        self.template = FisExperimentTemplate(
            self,
            "template",
            provider=props.provider,
            description=f"{props.name}: cut the {props.region} app and data subnets off the network for {props.duration_minutes} min",
            role_arn=self.role.arn,
            action=[
                FisExperimentTemplateAction(
                    name=f"disrupt-{name}",
                    action_id=ACTION,
                    description="deny-all network ACL on app and data subnets of the primary region",
                    parameter=[
                        FisExperimentTemplateActionParameter(key="duration", value=f"PT{props.duration_minutes}M"),
                        FisExperimentTemplateActionParameter(key="scope", value="all"),
                    ],
                    target=FisExperimentTemplateActionTarget(key="Subnets", value=name),
                )
                for name in names
            ],
            target=[
                FisExperimentTemplateTarget(name=name, resource_type="aws:ec2:subnet", selection_mode="ALL", resource_arns=list(group))
                for name, group in zip(names, groups, strict=True)
            ],
            stop_condition=[FisExperimentTemplateStopCondition(source="aws:cloudwatch:alarm", value=arn) for arn in props.stop_alarm_arns],
            experiment_options=FisExperimentTemplateExperimentOptions(account_targeting="single-account", empty_target_resolution_mode="fail"),
            log_configuration=FisExperimentTemplateLogConfiguration(
                log_schema_version=2,
                cloudwatch_logs_configuration=FisExperimentTemplateLogConfigurationCloudwatchLogsConfiguration(log_group_arn=f"{log_group.arn}:*"),
            ),
            tags={"Name": f"{props.name}-{EXPERIMENT}", props.experiment_tag: EXPERIMENT},
        )
        self.template_id: str = self.template.id
        self.role_arn: str = self.role.arn
