"""A global cluster with its data plane and nothing else: the emulator, the RDS API, real PostgreSQL.

For the data plane's own tests and benchmark, where the rest of the stack (and Terraform) would only
cost time: members are created through the RDS API exactly as Terraform creates them, and the
application's secret is shaped like the stack's.
"""

from __future__ import annotations

import json
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from drkit_lab.emulator import process
from drkit_lab.emulator.evaluation import post_control

ACCOUNT = "123456789012"
ENGINE_VERSION = "17.5"


@dataclass
class Lab:
    home: Path
    regions: tuple[str, ...] = ("us-east-1", "us-west-2", "eu-west-1")
    name: str = "ledger"
    password: str = field(default="Ledger-password-123", repr=False)
    encrypted: bool = False  # each member encrypted with its own region's KMS key, as the stack's are
    emulator: process.Emulator | None = None
    outputs: dict[str, Any] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)  # region -> KMS key ARN (encrypted)

    @property
    def url(self) -> str:
        assert self.emulator is not None
        return self.emulator.url

    def start(self) -> Lab:
        self.emulator = process.start(self.home, dataplane=True)
        rds = self.client("rds", self.regions[0])
        rds.create_global_cluster(
            GlobalClusterIdentifier=self.name, Engine="aurora-postgresql", EngineVersion=ENGINE_VERSION, DatabaseName="transactions"
        )
        for index, region in enumerate(self.regions):
            extra: dict[str, Any] = (
                {"MasterUsername": "dbadmin", "MasterUserPassword": self.password} if index == 0 else {}
            )  # the database name is the global cluster's, as Terraform creates it
            if self.encrypted:
                self.keys[region] = self.client("kms", region).create_key(Description=f"{self.name} {region}")["KeyMetadata"]["Arn"]
                extra.update(StorageEncrypted=True, KmsKeyId=self.keys[region])
            self.client("rds", region).create_db_cluster(
                DBClusterIdentifier=self.cluster(region),
                Engine="aurora-postgresql",
                EngineVersion=ENGINE_VERSION,
                GlobalClusterIdentifier=self.name,
                **extra,
            )
        endpoint = rds.describe_global_clusters(GlobalClusterIdentifier=self.name)["GlobalClusters"][0]["Endpoint"]
        secret = {"engine": "postgres", "username": "dbadmin", "password": self.password, "host": endpoint, "port": 5432, "dbname": "transactions"}
        self.client("secretsmanager", self.regions[0]).create_secret(Name=f"{self.name}-master", SecretString=json.dumps(secret))
        self.outputs = {"primary_region": self.regions[0], "primary_db_secret_arn": f"{self.name}-master"}
        return self

    def stop(self) -> None:
        process.stop(self.home)

    def client(self, service: str, region: str = "us-east-1") -> Any:
        import boto3

        return boto3.client(service, region_name=region, endpoint_url=self.url, aws_access_key_id="lab", aws_secret_access_key="lab")

    def dataplane(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.url}/_drkit/dataplane", timeout=10) as response:
            return dict(json.loads(response.read()))

    def cluster(self, region: str) -> str:
        return f"{self.name}-{region}"

    def arn(self, region: str) -> str:
        return f"arn:aws:rds:{region}:{ACCOUNT}:cluster:{self.cluster(region)}"

    def writer(self) -> str:
        for region in self.regions:
            try:
                found = self.client("rds", region).describe_global_clusters(GlobalClusterIdentifier=self.name)["GlobalClusters"]
            except Exception:  # a region that is down
                continue
            return next(m["DBClusterArn"] for m in found[0]["GlobalClusterMembers"] if m["IsWriter"]).split(":")[3]
        raise RuntimeError("no region answers")

    def switchover(self, target: str) -> None:
        self.client("rds", self.writer()).switchover_global_cluster(GlobalClusterIdentifier=self.name, TargetDbClusterIdentifier=self.arn(target))

    def lose_region_and_fail_over(self, target: str) -> None:
        lost = self.writer()
        post_control(self.url, "faults", {"down_regions": [lost]})
        self.client("rds", target).failover_global_cluster(
            GlobalClusterIdentifier=self.name, TargetDbClusterIdentifier=self.arn(target), AllowDataLoss=True
        )

    def every_region_back(self) -> None:
        post_control(self.url, "faults", {"down_regions": []})
