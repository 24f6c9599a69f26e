"""A small world on a running emulator for ARC Region switch: what a plan acts on, without Terraform.

The global database (two members with an instance each), the runbook function in both regions, the plan's
execution role with exactly the statements the stack grants (``execution_permissions``), the plan created
through Cloud Control from the desired state the stack synthesizes (``plan_document``), and the DR operations
role with its Region switch statements, assumed by an operator user with its ExternalId. Seconds to build,
instead of the minutes of an apply.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from constructs_lib.naming import Names
from constructs_lib.region_switch_spec import (
    OPERATOR_FIND_ACTIONS,
    OPERATOR_PLAN_ACTIONS,
    TYPE_NAME,
    PlanRegion,
    RegionSwitchPlanProps,
    execution_permissions,
    plan_document,
)
from drkit_lab.emulator import process

ACCOUNT = "123456789012"
ENV = "arc"
REGIONS = ("us-east-1", "us-west-2")
EXTERNAL_ID = "drkit-test-arc"
CONFIG = Config(retries={"mode": "standard", "total_max_attempts": 2}, read_timeout=120)


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def trust(**principal: Any) -> str:
    return policy({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"})


@dataclass
class World:
    emulator: process.Emulator
    config_path: Path
    names: Names = field(default_factory=lambda: Names(ENV))
    plan_arn: str = ""
    desired: dict[str, Any] = field(default_factory=dict)
    execution_policy: str = ""
    operator: dict[str, str] = field(default_factory=dict)

    def admin(self, service: str, region: str = "us-east-1") -> Any:
        return boto3.client(
            service, region_name=region, endpoint_url=self.emulator.url, aws_access_key_id="drkit-local", aws_secret_access_key="x", config=CONFIG
        )

    @property
    def role_name(self) -> str:
        return self.names.region_switch_role(*REGIONS)

    @property
    def plan_name(self) -> str:
        return self.names.region_switch_plan(*REGIONS)

    @property
    def dr_role_arn(self) -> str:
        return self.names.dr_operations_role_arn(ACCOUNT)

    def props(self) -> RegionSwitchPlanProps:
        def region(name: str) -> PlanRegion:
            return PlanRegion(
                region=name, cluster_arn=self.names.cluster_arn(ACCOUNT, name), runbook_function_arn=self.names.runbook_function_arn(ACCOUNT, name)
            )

        return RegionSwitchPlanProps(
            provider=None,  # type: ignore[arg-type]
            iam_provider=None,  # type: ignore[arg-type]
            name=self.plan_name,
            role_name=self.role_name,
            description="drkit arc: move the writer",
            account_id=ACCOUNT,
            global_cluster_id=self.names.global_cluster_id,
            global_cluster_arn=self.names.global_cluster_arn(ACCOUNT),
            primary=region(REGIONS[0]),
            secondary=region(REGIONS[1]),
            rto_target_seconds=300,
            tags={"Environment": ENV, "Project": "drkit"},
        )

    # ---------------------------------------------------------------- building it

    def build(self) -> World:
        names = self.names
        self.admin("rds").create_global_cluster(GlobalClusterIdentifier=names.global_cluster_id, Engine="aurora-postgresql", EngineVersion="16.6")
        for index, region in enumerate(REGIONS):
            rds = self.admin("rds", region)
            extra = {"MasterUsername": "admin", "MasterUserPassword": "x" * 16} if index == 0 else {}
            rds.create_db_cluster(
                DBClusterIdentifier=names.cluster_id(region),
                Engine="aurora-postgresql",
                EngineVersion="16.6",
                GlobalClusterIdentifier=names.global_cluster_id,
                **extra,
            )
            rds.create_db_instance(
                DBInstanceIdentifier=f"{names.cluster_id(region)}-1",
                DBClusterIdentifier=names.cluster_id(region),
                Engine="aurora-postgresql",
                DBInstanceClass="db.r6g.large",
            )
        self._runbook_functions()
        iam = self.admin("iam")
        role_arn = iam.create_role(RoleName=self.role_name, AssumeRolePolicyDocument=trust(Service="arc-region-switch.amazonaws.com"))["Role"]["Arn"]
        self.execution_policy = policy(
            *(
                {"Sid": p.sid, "Effect": "Allow", "Action": list(p.actions), "Resource": list(p.resources)}
                for p in execution_permissions(self.props(), role_arn)
            )
        )
        iam.put_role_policy(RoleName=self.role_name, PolicyName="execution", PolicyDocument=self.execution_policy)
        self.desired = plan_document(self.props(), role_arn)
        event = self.admin("cloudcontrol").create_resource(TypeName=TYPE_NAME, DesiredState=json.dumps(self.desired))["ProgressEvent"]
        self.plan_arn = self.admin("cloudcontrol").get_resource_request_status(RequestToken=event["RequestToken"])["ProgressEvent"]["Identifier"]
        self._operator()
        self.config_path.write_text(
            json.dumps(
                {
                    ENV: {
                        "environment": "local",
                        "aws_endpoint_url": self.emulator.url,
                        "account_id": ACCOUNT,
                        "dr_operations": {"external_id": EXTERNAL_ID},
                        "region_switch": {"enabled": True},
                    }
                }
            ),
            encoding="utf-8",
        )
        return self

    def _runbook_functions(self) -> None:
        names = self.names
        iam = self.admin("iam")
        role = iam.create_role(RoleName=names.runbook_function, AssumeRolePolicyDocument=trust(Service="lambda.amazonaws.com"))["Role"]["Arn"]
        iam.put_role_policy(  # the runbook function's own reads (constructs_lib/dr_operations.py, runbook_permissions)
            RoleName=names.runbook_function,
            PolicyName="runbook",
            PolicyDocument=policy(
                {"Effect": "Allow", "Action": "rds:DescribeGlobalClusters", "Resource": names.global_cluster_arn(ACCOUNT)},
                {"Effect": "Allow", "Action": "rds:DescribeDBClusters", "Resource": [names.cluster_arn(ACCOUNT, r) for r in REGIONS]},
                {"Effect": "Allow", "Action": "cloudwatch:GetMetricData", "Resource": "*"},
            ),
        )
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as handle:
            handle.writestr("failover/handler.py", "# the emulator runs drkit's source (drkit_lab/emulator/lambda_runner.py)\n")
        for region in REGIONS:
            topic = self.admin("sns", region).create_topic(Name=names.alert_topic)["TopicArn"]
            self.admin("lambda", region).create_function(
                FunctionName=names.runbook_function,
                Runtime="python3.13",
                Role=role,
                Handler="failover.handler.lambda_handler",
                Code={"ZipFile": archive.getvalue()},
                Timeout=120,
                Environment={
                    "Variables": {
                        "DRKIT_ENVIRONMENT": ENV,
                        "GLOBAL_CLUSTER_ID": names.global_cluster_id,
                        "ALERT_TOPIC_ARN": topic,
                        "RECORD_NAMES": f"db.{ENV}.drkit.internal",
                        "SWITCHOVER_MAX_LAG_SECONDS": "5",
                        "POWERTOOLS_SERVICE_NAME": "failover-runbook",
                    }
                },
            )

    def _operator(self) -> None:
        """The DR operations role (its Region switch statements and the describe the runbook needs), assumed
        by an operator user with the ExternalId, as the drill does."""
        iam = self.admin("iam")
        root = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"}
        root["Condition"] = {"StringEquals": {"sts:ExternalId": EXTERNAL_ID}}
        iam.create_role(RoleName=self.names.dr_operations_role, AssumeRolePolicyDocument=policy(root))
        plans = self.names.region_switch_plan_arns(ACCOUNT, self.plan_name)
        iam.put_role_policy(
            RoleName=self.names.dr_operations_role,
            PolicyName="operator",
            PolicyDocument=policy(
                {"Effect": "Allow", "Action": list(OPERATOR_FIND_ACTIONS), "Resource": "*"},
                {"Effect": "Allow", "Action": list(OPERATOR_PLAN_ACTIONS), "Resource": plans},
                {"Effect": "Allow", "Action": "rds:DescribeGlobalClusters", "Resource": self.names.global_cluster_arn(ACCOUNT)},
            ),
        )
        iam.create_user(UserName="operator")
        iam.put_user_policy(
            UserName="operator",
            PolicyName="assume",
            PolicyDocument=policy({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": self.dr_role_arn}),
        )
        key = iam.create_access_key(UserName="operator")["AccessKey"]
        sts = boto3.client(
            "sts",
            region_name="us-east-1",
            endpoint_url=self.emulator.url,
            aws_access_key_id=key["AccessKeyId"],
            aws_secret_access_key=key["SecretAccessKey"],
        )
        credentials = sts.assume_role(RoleArn=self.dr_role_arn, RoleSessionName="operator", ExternalId=EXTERNAL_ID)["Credentials"]
        self.operator = {
            "AWS_ACCESS_KEY_ID": credentials["AccessKeyId"],
            "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"],
            "AWS_SESSION_TOKEN": credentials["SessionToken"],
        }

    # ---------------------------------------------------------------- using it

    def writer(self, region: str = "us-west-2") -> str | None:
        members = self.admin("rds", region).describe_global_clusters(GlobalClusterIdentifier=self.names.global_cluster_id)["GlobalClusters"][0][
            "GlobalClusterMembers"
        ]
        writer = next((m["DBClusterArn"] for m in members if m.get("IsWriter")), None)
        return writer.split(":")[3] if writer else None

    def lag(self, region: str, milliseconds: float) -> None:
        self.admin("cloudwatch", region).put_metric_data(
            Namespace="AWS/RDS",
            MetricData=[
                {
                    "MetricName": m,
                    "Dimensions": [{"Name": "DBClusterIdentifier", "Value": self.names.cluster_id(region)}],
                    "Value": milliseconds,
                    "Unit": "Milliseconds",
                }
                for m in ("AuroraGlobalDBReplicationLag", "AuroraGlobalDBRPOLag")
            ],
        )

    def patch_plan(self, operations: list[dict[str, Any]]) -> dict[str, Any]:
        """Change the deployed plan through Cloud Control (a JSON Patch, as the provider sends one)."""
        cloudcontrol = self.admin("cloudcontrol")
        event = cloudcontrol.update_resource(TypeName=TYPE_NAME, Identifier=self.plan_arn, PatchDocument=json.dumps(operations))["ProgressEvent"]
        status: dict[str, Any] = cloudcontrol.get_resource_request_status(RequestToken=event["RequestToken"])["ProgressEvent"]
        return status

    def restore(self) -> None:
        """Every region up, no execution running, the plan and the execution role as deployed, the writer home."""
        control(self.emulator, "faults", {"down_regions": []})
        for region in REGIONS:
            arc = self.admin("arc-region-switch", region)
            for item in arc.list_plan_executions(planArn=self.plan_arn).get("items", []):
                if item["executionState"] not in ("completed", "failed", "canceled", "completedWithExceptions", "planExecutionTimedOut"):
                    arc.cancel_plan_execution(planArn=self.plan_arn, executionId=item["executionId"])
        current = json.loads(
            self.admin("cloudcontrol").get_resource(TypeName=TYPE_NAME, Identifier=self.plan_arn)["ResourceDescription"]["Properties"]
        )
        if current["Workflows"] != self.desired["Workflows"]:
            self.patch_plan([{"op": "replace", "path": "/Workflows", "value": self.desired["Workflows"]}])
        self.admin("iam").put_role_policy(RoleName=self.role_name, PolicyName="execution", PolicyDocument=self.execution_policy)
        if self.writer() != REGIONS[0]:
            self.admin("rds", REGIONS[0]).failover_global_cluster(
                GlobalClusterIdentifier=self.names.global_cluster_id,
                TargetDbClusterIdentifier=self.names.cluster_arn(ACCOUNT, REGIONS[0]),
                AllowDataLoss=True,
            )


def control(emulator: process.Emulator, path: str, body: dict[str, Any] | None = None) -> Any:
    import urllib.request

    request = urllib.request.Request(
        f"{emulator.url}/_drkit/{path}", data=json.dumps(body).encode() if body is not None else None, method="POST" if body is not None else "GET"
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())
