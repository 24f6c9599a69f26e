"""EKS: cluster security groups, node group settings."""

from __future__ import annotations

import contextlib
import re
from typing import Any

from moto.ec2 import models as ec2_models
from moto.eks import models as eks_models
from moto.eks import responses as eks_responses

from drkit_lab.emulator.patches.registry import patch


@patch
def eks_cluster_security_group() -> None:
    """AWS: every EKS cluster gets a cluster security group (``eks-cluster-sg-<name>-...``) in
    its VPC, returned as ``resourcesVpcConfig.clusterSecurityGroupId`` and removed with the cluster.

    moto returns none, so a rule that lets the nodes reach the database has no group to name.
    """
    original_create = eks_models.EKSBackend.create_cluster
    original_delete = eks_models.EKSBackend.delete_cluster

    def create(self: eks_models.EKSBackend, name: str, role_arn: str, resources_vpc_config: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        cluster = original_create(self, name, role_arn, resources_vpc_config, *args, **kwargs)
        ec2 = ec2_models.ec2_backends[self.account_id][self.region_name]
        subnets = resources_vpc_config.get("subnetIds") or []
        if subnets and not cluster.resources_vpc_config.get("clusterSecurityGroupId"):
            vpc_id = ec2.get_subnet(subnets[0]).vpc_id
            group = ec2.create_security_group(
                f"eks-cluster-sg-{name}", "EKS created security group applied to ENI that is attached to EKS Control Plane", vpc_id
            )
            cluster.resources_vpc_config = {**cluster.resources_vpc_config, "clusterSecurityGroupId": group.id, "vpcId": vpc_id}
        return cluster

    def delete(self: eks_models.EKSBackend, name: str) -> Any:
        cluster = original_delete(self, name)
        group_id = (cluster.resources_vpc_config or {}).get("clusterSecurityGroupId")
        if group_id:
            ec2 = ec2_models.ec2_backends[self.account_id][self.region_name]
            with contextlib.suppress(Exception):  # a rule still naming it: AWS retries, the emulator lets it be
                ec2.delete_security_group(group_id=group_id)
        return cluster

    eks_models.EKSBackend.create_cluster = create  # type: ignore[method-assign]
    eks_models.EKSBackend.delete_cluster = delete  # type: ignore[method-assign]


@patch
def eks_node_group_settings() -> None:
    """AWS: a managed node group created without ``remoteAccess`` has none, and it keeps the
    ``updateConfig`` it was created with.

    moto invents ``{"ec2SshKey": "eksKeypair"}`` (forcing replacement on every plan, and
    suggesting SSH access that does not exist) and drops ``updateConfig`` at creation.
    """
    eks_models.DEFAULT_REMOTE_ACCESS = None  # type: ignore[assignment]
    original = eks_responses.EKSResponse.create_nodegroup

    def create(self: eks_responses.EKSResponse) -> Any:
        result = original(self)
        update_config = self._get_param("updateConfig")
        if update_config:
            result.result["nodegroup"].update_config = update_config  # type: ignore[attr-defined]
        return result

    eks_responses.EKSResponse.create_nodegroup = create  # type: ignore[method-assign]


@patch
def eks_access_entries() -> None:
    """AWS: a cluster has an ``accessConfig`` (authentication mode, creator bootstrap) and access
    entries with associated access policies (EKS API: CreateAccessEntry, DescribeAccessEntry,
    DeleteAccessEntry, AssociateAccessPolicy, ListAssociatedAccessPolicies, DisassociateAccessPolicy).

    moto implements none of it: CreateAccessEntry answers 404 and ``accessConfig`` is dropped, so a
    stack that lets configured administrators (not only the creator) manage the cluster cannot be
    applied. The emulator keeps the entries and policies per cluster, deleted with the cluster.
    """
    from datetime import UTC, datetime
    from urllib.parse import unquote

    from moto.core.responses import ActionResult, EmptyResult
    from moto.eks import urls as eks_urls
    from moto.eks.exceptions import ResourceInUseException, ResourceNotFoundException

    base = "{0}/clusters/(?P<name>[^/]+)/access-entries"
    for path in (base + "$", base + "/(?P<principalArn>.+?)$", base + "/(?P<principalArn>.+?)/access-policies$",
                 base + "/(?P<principalArn>.+?)/access-policies/(?P<policyArn>.+)$"):  # fmt: skip
        eks_urls.url_paths[path] = eks_urls.response.dispatch

    original_create = eks_models.EKSBackend.create_cluster
    original_delete = eks_models.EKSBackend.delete_cluster
    original_create_response = eks_responses.EKSResponse.create_cluster

    def create_response(self: eks_responses.EKSResponse) -> Any:
        result = original_create_response(self)
        access = self._get_param("accessConfig") or {}
        cluster = self.eks_backend.describe_cluster(name=self._get_param("name"))
        cluster.access_config = {
            "authenticationMode": access.get("authenticationMode", "CONFIG_MAP"),
            "bootstrapClusterCreatorAdminPermissions": access.get("bootstrapClusterCreatorAdminPermissions", True),
        }
        cluster.access_entries = {}
        return result

    def delete(self: eks_models.EKSBackend, name: str) -> Any:
        cluster = original_delete(self, name)
        cluster.access_entries = {}
        return cluster

    def _entries(self: eks_responses.EKSResponse) -> dict[str, dict[str, Any]]:
        cluster = self.eks_backend.describe_cluster(name=unquote(self._get_param("name")))
        if not hasattr(cluster, "access_entries"):
            cluster.access_entries = {}
        return cluster.access_entries  # type: ignore[no-any-return]

    def _principal(self: eks_responses.EKSResponse) -> str:
        match = re.search(r"/access-entries/(.+?)(/access-policies.*)?$", unquote(self.path))
        return match.group(1) if match else str(self._get_param("principalArn"))

    def _entry(self: eks_responses.EKSResponse) -> dict[str, Any]:
        principal = _principal(self)
        entries = _entries(self)
        if principal not in entries:
            raise ResourceNotFoundException(message=f"The specified principalArn could not be found: {principal}")
        return entries[principal]

    def create_access_entry(self: eks_responses.EKSResponse) -> Any:
        entries = _entries(self)
        principal = str(self._get_param("principalArn"))
        if principal in entries:
            raise ResourceInUseException(message=f"The specified access entry resource is already in use on this cluster: {principal}")
        now = datetime.now(UTC)
        name = unquote(self._get_param("name"))
        entries[principal] = {
            "clusterName": name,
            "principalArn": principal,
            "kubernetesGroups": self._get_param("kubernetesGroups") or [],
            "accessEntryArn": f"arn:aws:eks:{self.region}:{self.current_account}:access-entry/{name}/{principal.split(':', 4)[-1]}",
            "createdAt": now,
            "modifiedAt": now,
            "tags": self._get_param("tags") or {},
            "username": self._get_param("username") or principal,
            "type": self._get_param("type") or "STANDARD",
            "policies": {},
        }
        return ActionResult({"accessEntry": _public(entries[principal])})

    def _public(entry: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in entry.items() if k != "policies"}

    def describe_access_entry(self: eks_responses.EKSResponse) -> Any:
        return ActionResult({"accessEntry": _public(_entry(self))})

    def list_access_entries(self: eks_responses.EKSResponse) -> Any:
        return ActionResult({"accessEntries": sorted(_entries(self))})

    def delete_access_entry(self: eks_responses.EKSResponse) -> Any:
        entry = _entry(self)
        del _entries(self)[entry["principalArn"]]
        return EmptyResult()

    def associate_access_policy(self: eks_responses.EKSResponse) -> Any:
        entry = _entry(self)
        now = datetime.now(UTC)
        policy_arn = str(self._get_param("policyArn"))
        entry["policies"][policy_arn] = {
            "policyArn": policy_arn,
            "accessScope": self._get_param("accessScope") or {"type": "cluster"},
            "associatedAt": now,
            "modifiedAt": now,
        }
        result = {"clusterName": entry["clusterName"], "principalArn": entry["principalArn"], "associatedAccessPolicy": entry["policies"][policy_arn]}
        return ActionResult(result)

    def list_associated_access_policies(self: eks_responses.EKSResponse) -> Any:
        entry = _entry(self)
        policies = list(entry["policies"].values())
        return ActionResult({"clusterName": entry["clusterName"], "principalArn": entry["principalArn"], "associatedAccessPolicies": policies})

    def disassociate_access_policy(self: eks_responses.EKSResponse) -> Any:
        entry = _entry(self)
        match = re.search(r"/access-policies/(.+)$", unquote(self.path))
        entry["policies"].pop(match.group(1) if match else "", None)
        return EmptyResult()

    _ = original_create
    eks_models.EKSBackend.delete_cluster = delete  # type: ignore[method-assign]
    eks_models.Cluster.access_config = None  # type: ignore[attr-defined]
    responses = eks_responses.EKSResponse
    responses.create_cluster = create_response  # type: ignore[method-assign]
    for handler in (
        create_access_entry,
        describe_access_entry,
        list_access_entries,
        delete_access_entry,
        associate_access_policy,
        list_associated_access_policies,
        disassociate_access_policy,
    ):
        setattr(responses, handler.__name__, handler)
