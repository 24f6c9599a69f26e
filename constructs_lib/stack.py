"""DrStack: one environment's disaster-recovery platform, ``dr-<environment>``.

The stack wires configuration and construct outputs into construct props; every resource is
built by a construct, every name comes from :class:`~constructs_lib.naming.Names`, providers and
the backend from :mod:`constructs_lib.providers`. Construct ids are part of every resource's
Terraform address (users' state): keep them.
"""

from __future__ import annotations

from itertools import combinations

from cdktf import Annotations, TerraformOutput, TerraformStack, TerraformVariable, TerraformVariableValidationConfig
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.provider import AwsProvider
from constructs import Construct

from constructs_lib import naming
from constructs_lib.alerts import AlertTopicConstruct, AlertTopicProps
from constructs_lib.app_cluster import AppClusterConstruct, AppClusterProps
from constructs_lib.aurora_global import AuroraGlobalConstruct, AuroraGlobalProps, RegionalDatabaseInput
from constructs_lib.backup import BackupConstruct, BackupProps, BackupRegion
from constructs_lib.config import EnvironmentConfig
from constructs_lib.config.model import LAMBDA_UNRESERVED_MINIMUM, PROBE_RESERVED_CONCURRENCY, RUNBOOK_RESERVED_CONCURRENCY
from constructs_lib.dashboard import DashboardConstruct, DashboardProps
from constructs_lib.dr_operations import DrOperationsConstruct, DrOperationsProps, RunbookRegion, restore_scope
from constructs_lib.failover_automation import RunbookAutomation
from constructs_lib.failover_dns import DnsMember, FailoverDnsConstruct, FailoverDnsProps, ZoneVpc
from constructs_lib.fault_injection import FaultInjectionConstruct, FaultInjectionProps
from constructs_lib.kms import RegionalKeyConstruct, RegionalKeyProps
from constructs_lib.lambda_package import build_package
from constructs_lib.lambda_quota import LambdaConcurrencyQuotaCheck, LambdaConcurrencyQuotaProps
from constructs_lib.monitoring import MonitorPreservation, ReplicationMonitorConstruct, ReplicationMonitorProps, WatchedRegion
from constructs_lib.naming import PROJECT_NAME, reconcile_command
from constructs_lib.network import NetworkConstruct, NetworkProps
from constructs_lib.peering import PeeringConstruct, PeeringProps, PeerSide
from constructs_lib.point_of_failure import RegionScope, monitor_grants, plan_step_grants, reconcile_grants, record_grants
from constructs_lib.policy.aspect import PolicyAspect
from constructs_lib.providers import (
    MANAGED_BY,
    RegionContext,
    control_plane_provider,
    point_at_emulator,
    region_providers,
    services_used,
    state_backend,
)
from constructs_lib.region_switch_plan import RegionSwitchPlanConstruct
from constructs_lib.region_switch_spec import (
    CONTROL_PLANE_REGION,
    EksWorkload,
    PlanRegion,
    RegionSwitchPlanProps,
    TriggerAlarm,
)
from constructs_lib.subnet_plan import SubnetPlan, Tier
from constructs_lib.topology import observer_of
from constructs_lib.writer_probe import WatchedWriter, WriterProbeConstruct, WriterProbeProps
from functions.failover.contract import FailoverMode


class DrStack(TerraformStack):
    def __init__(self, scope: Construct, env: EnvironmentConfig) -> None:
        super().__init__(scope, env.stack_name)
        self.env = env
        self.warnings: list[str] = []  # soft risks of this configuration, printed in the synth summary
        names = env.names
        self.regions: list[RegionContext] = region_providers(self, env)
        self.primary = self.regions[0]
        state_backend(self, env)
        self.account_id: str = DataAwsCallerIdentity(self, "caller", provider=self.primary.provider).account_id
        master_password, password_version = self._password_variables()

        self.keys = {
            ctx.region: RegionalKeyConstruct(
                self,
                f"{ctx.alias}_key",
                RegionalKeyProps(
                    provider=ctx.provider,
                    region=ctx.region,
                    account_id=self.account_id,
                    alias_name=names.regional(ctx.region),
                    protect=env.is_production,
                    deletion_window_days=30 if env.is_production else 7,
                    description=naming.key_description(names.regional(ctx.region), ctx.region),
                ),
            )
            for ctx in self.regions
        }
        self.networks = self._networks()
        self.peerings = self._peerings()
        self.alert_topics = {
            ctx.region: AlertTopicConstruct(
                self,
                f"{ctx.alias}_alerts",
                AlertTopicProps(
                    provider=ctx.provider,
                    name=names.alert_topic,
                    account_id=self.account_id,
                    kms_key_arn=self.keys[ctx.region].key_arn,
                    emails=env.alerts.emails,
                    https_endpoints=env.alerts.https_endpoints,
                ),
            )
            for ctx in self.regions
        }
        self.database = AuroraGlobalConstruct(
            self,
            "database",
            AuroraGlobalProps(
                global_cluster_identifier=names.global_cluster_id,
                engine_version=env.engine.version,
                parameter_group_family=env.engine.parameter_group_family,
                database_name=env.database.database_name,
                master_username=env.database.master_username,
                instance_class=env.database.instance_class,
                instances_per_region=env.database.instances_per_region,
                backup_retention_days=env.database.backup_retention_days,
                log_retention_days=env.log_retention_days,
                protect=env.is_production,
                master_password=master_password,
                master_password_version=password_version,
                iam_provider=self.primary.provider,
                global_db_rpo_seconds=env.database.global_db_rpo_seconds,
                parameter_group_description=naming.PARAMETER_GROUP_DESCRIPTION,
                engine_withdrawn_advice=naming.ENGINE_WITHDRAWN_ADVICE,
                regions=tuple(
                    RegionalDatabaseInput(
                        provider=ctx.provider,
                        region=ctx.region,
                        role=ctx.role,
                        subnet_ids=tuple(self.networks[ctx.region].data_subnet_ids),
                        availability_zones=tuple(self.networks[ctx.region].availability_zones),
                        security_group_id=self.networks[ctx.region].database_security_group_id,
                        kms_key_arn=self.keys[ctx.region].key_arn,
                        cluster_identifier=names.cluster_id(ctx.region),
                        log_group_name=names.database_log_group(ctx.region),
                    )
                    for ctx in self.regions
                ),
            ),
        )
        self.backup = self._backup()
        self.monitors = self._monitors()
        self.dns = self._dns()
        DashboardConstruct(
            self,
            "dashboard",
            DashboardProps(
                provider=self.primary.provider,
                name=names.dashboard,
                environment=env.environment,
                home_region=self.primary.region,
                clusters=tuple((region, names.cluster_id(region)) for region in env.regions),
                monitor_function_name=names.monitor_function,
                monitor_regions=env.regions,
            ),
        )
        self.dr_operations = self._dr_operations()
        self.writer_probes = self._writer_probes()
        self.app_clusters = self._app_clusters()
        self.fault_injection = self._fault_injection()
        self.control_plane_providers: list[AwsProvider] = []  # providers beyond the regions' own (see _region_switch_plans)
        self.region_switch_plans = self._region_switch_plans()
        self._outputs()
        # Project policy (constructs_lib/policy): errors stop synth, warnings are reported.
        self.policy = PolicyAspect()
        document = self.policy.check_stack(self)
        point_at_emulator(self.regions, env, services_used(document), extra=self.control_plane_providers)

    # ------------------------------------------------------------------ wiring

    def _password_variables(self) -> tuple[str, float]:
        master_password = TerraformVariable(
            self,
            "db_master_password",
            type="string",
            sensitive=True,
            nullable=False,
            description="Aurora master password. Supplied at deploy time (TF_VAR_db_master_password); "
            "it reaches AWS only through write-only arguments and is never stored in state or plans.",
            validation=[
                TerraformVariableValidationConfig(
                    condition='${length(var.db_master_password) >= 16 && can(regex("^[^/@\\" ]+$", var.db_master_password))}',
                    error_message="db_master_password must be at least 16 characters without '/', '@', '\"' or spaces.",
                )
            ],
        )
        master_password.add_override("ephemeral", True)
        password_version = TerraformVariable(
            self,
            "db_master_password_version",
            type="number",
            default=1,
            description="Increase to send a new db_master_password to the clusters and secrets.",
        )
        return master_password.string_value, password_version.number_value

    def _networks(self) -> dict[str, NetworkConstruct]:
        env = self.env
        zone_count = env.network.availability_zones
        app_cidrs = tuple(
            cidr for region in env.regions for cidr in SubnetPlan(vpc_cidr=env.vpc_cidrs[region], availability_zones=zone_count).cidrs(Tier.APP)
        )
        return {
            ctx.region: NetworkConstruct(
                self,
                f"{ctx.alias}_network",
                NetworkProps(
                    provider=ctx.provider,
                    name=env.names.regional(ctx.region),
                    region=ctx.region,
                    vpc_cidr=env.vpc_cidrs[ctx.region],
                    availability_zone_ids=env.network.availability_zone_ids[ctx.region],
                    nat_gateway_per_az=env.network.nat_gateways.value == "per_az",
                    flow_log_retention_days=env.network.flow_log_retention_days,
                    kms_key_arn=self.keys[ctx.region].key_arn,
                    database_client_cidrs=app_cidrs,
                    flow_log_group_name=naming.flow_log_group(env.names.regional(ctx.region)),
                    database_security_group_description=naming.DATABASE_SECURITY_GROUP_DESCRIPTION,
                ),
            )
            for ctx in self.regions
        }

    def _peerings(self) -> list[PeeringConstruct]:
        """A full mesh: VPC peering is not transitive, and any region may hold the writer."""
        peerings = []
        for requester, accepter in combinations(self.regions, 2):
            # The primary's peerings keep their original id (<accepter>_peering): they are users' state.
            construct_id = f"{accepter.alias}_peering" if requester.is_primary else f"{requester.alias}_to_{accepter.alias}_peering"
            peerings.append(
                PeeringConstruct(
                    self,
                    construct_id,
                    PeeringProps(
                        name=self.env.names.peering(requester.region, accepter.region),
                        requester_role=requester.role.value,
                        requester=self._peer_side(requester),
                        accepter=self._peer_side(accepter),
                    ),
                )
            )
        return peerings

    def _peer_side(self, ctx: RegionContext) -> PeerSide:
        network = self.networks[ctx.region]
        return PeerSide(
            provider=ctx.provider,
            region=ctx.region,
            vpc_id=network.vpc_id,
            vpc_cidr=str(network.vpc_cidr),
            route_table_ids=tuple(network.private_route_table_ids),
        )

    def _backup(self) -> BackupConstruct | None:
        env = self.env
        if not env.backup.enabled:
            return None
        backup = env.backup
        return BackupConstruct(
            self,
            "backup",
            BackupProps(
                iam_provider=self.primary.provider,
                name=env.names.prefix,
                regions=tuple(
                    BackupRegion(
                        provider=ctx.provider,
                        region=ctx.region,
                        alias=ctx.alias,
                        kms_key_arn=self.keys[ctx.region].key_arn,
                        cluster_arn=cluster.cluster_arn,
                        copy_to=observer_of(env.regions, ctx.region),
                        alert_topic_arn=self.alert_topics[ctx.region].topic_arn,
                    )
                    for ctx, cluster in zip(self.regions, self.database.clusters, strict=True)
                ),
                schedule=backup.schedule,
                start_window_minutes=backup.start_window_minutes,
                completion_window_minutes=backup.completion_window_minutes,
                retention_days=backup.retention_days,
                copy_retention_days=backup.copy_retention_days,
                lock=backup.vault_lock.value,
                lock_min_retention_days=backup.lock_min_retention_days,
                lock_max_retention_days=backup.lock_max_retention_days,
                lock_changeable_for_days=backup.lock_changeable_for_days,
                force_destroy=not env.is_production,
                protect=env.is_production,
            ),
        )

    def _fault_injection(self) -> FaultInjectionConstruct | None:
        env = self.env
        if not env.fault_injection.enabled:
            return None
        primary = self.primary
        network = self.networks[primary.region]
        subnets = (*network.app_subnet_ids, *network.data_subnet_ids)
        monitor = self.monitors[primary.region]
        return FaultInjectionConstruct(
            self,
            "fault_injection",
            FaultInjectionProps(
                provider=primary.provider,
                iam_provider=primary.provider,
                name=env.names.prefix,
                region=primary.region,
                account_id=self.account_id,
                subnet_arns=tuple(f"arn:aws:ec2:{primary.region}:{self.account_id}:subnet/{subnet}" for subnet in subnets),
                stop_alarm_arns=(monitor.health_alarm_arns["errors"], monitor.health_alarm_arns["silent"]),
                duration_minutes=env.fault_injection.duration_minutes,
                kms_key_arn=self.keys[primary.region].key_arn,
                log_retention_days=env.log_retention_days,
                experiment_tag=naming.FIS_EXPERIMENT_TAG,
            ),
        )

    def _monitors(self) -> dict[str, ReplicationMonitorConstruct]:
        env = self.env
        names = env.names
        package = build_package("replication_monitor")
        monitors = {}
        for ctx in self.regions:
            watched = tuple(
                WatchedRegion(region=region, alarm_name=names.writer_healthy_alarm(region))
                for region in env.regions[:-1]  # the last member of the DNS chain needs no health check
                if observer_of(env.regions, region) == ctx.region
            )
            LambdaConcurrencyQuotaCheck(
                self,
                f"{ctx.alias}_lambda_concurrency_quota",
                LambdaConcurrencyQuotaProps(
                    provider=ctx.provider,
                    region=ctx.region,
                    reserved=env.monitor_reserved_concurrency + RUNBOOK_RESERVED_CONCURRENCY,
                    unreserved_minimum=LAMBDA_UNRESERVED_MINIMUM,
                    detail=f"monitor {env.monitor_reserved_concurrency} + runbook {RUNBOOK_RESERVED_CONCURRENCY}",
                ),
            )
            monitors[ctx.region] = ReplicationMonitorConstruct(
                self,
                f"{ctx.alias}_monitor",
                ReplicationMonitorProps(
                    provider=ctx.provider,
                    region=ctx.region,
                    environment=env.environment,
                    function_name=names.monitor_function,
                    role_name=names.monitor_role(ctx.region),
                    state_parameter_name=names.monitor_state_parameter,
                    account_id=self.account_id,
                    global_cluster_id=names.global_cluster_id,
                    kms_key_arn=self.keys[ctx.region].key_arn,
                    alert_topic_arn=self.alert_topics[ctx.region].topic_arn,
                    lag_alarm_threshold_seconds=env.lag_alarm_threshold_seconds,
                    detection_periods=env.failover.detection_periods,
                    reserved_concurrency=env.monitor_reserved_concurrency,
                    log_retention_days=env.log_retention_days,
                    package=package,
                    member_regions=env.regions,
                    member_cluster_arns=tuple(names.cluster_arn(self.account_id, region) for region in env.regions),
                    local_cluster_identifier=names.cluster_id(ctx.region),
                    lag_alarm_name=names.lag_alarm(ctx.region),
                    watched=watched,
                    function_description=naming.MONITOR_DESCRIPTION,
                    preservation=MonitorPreservation(
                        lossy_failover_parameter_name=names.lossy_failover_parameter,
                        snapshot_wait_seconds=env.reconcile.snapshot_wait_minutes * 60,
                        reconcile_command=reconcile_command(env.name),
                        grants=monitor_grants(names, self.account_id, self._region_scope(ctx.region), env.regions),
                    ),
                    writer_lost=self._writer_lost(ctx.region),
                ),
            )
        return monitors

    def _region_scope(self, region: str) -> RegionScope:
        return RegionScope(region=region, kms_key_arn=self.keys[region].key_arn)

    def _writer_lost(self, region: str) -> WatchedRegion | None:
        """The primary's writer-lost alarm, in its observer, when an ARC plan's trigger watches it (``_region_switch_plans``)."""
        env = self.env
        primary = env.primary_region
        if not (env.region_switch.enabled and env.region_switch.triggers) or observer_of(env.regions, primary) != region:
            return None
        return WatchedRegion(region=primary, alarm_name=env.names.primary_lost_trigger_alarm(primary))

    def _dns(self) -> FailoverDnsConstruct:
        env = self.env
        members = []
        for index, (ctx, cluster) in enumerate(zip(self.regions, self.database.clusters, strict=True)):
            last = index == len(self.regions) - 1
            observer = None if last else observer_of(env.regions, ctx.region)
            members.append(
                DnsMember(
                    region=ctx.region,
                    endpoint=cluster.writer_endpoint,
                    writer_healthy_alarm=None if observer is None else self.monitors[observer].writer_healthy_alarms[ctx.region],
                    alarm_region=observer,
                )
            )
        return FailoverDnsConstruct(
            self,
            "failover_dns",
            FailoverDnsProps(
                provider=self.primary.provider,
                name=naming.failover_dns_name(env.environment),
                zone_name=env.dns.zone_name,
                zone_comment=naming.zone_comment(env.environment),
                vpcs=tuple(ZoneVpc(vpc_id=self.networks[ctx.region].vpc_id, region=ctx.region) for ctx in self.regions),
                ttl_seconds=env.dns_ttl_seconds,
                members=tuple(members),
                global_writer_endpoint=self.database.global_writer_endpoint,
            ),
        )

    def _dr_operations(self) -> DrOperationsConstruct:
        env = self.env
        names = env.names
        return DrOperationsConstruct(
            self,
            "dr_operations",
            DrOperationsProps(
                iam_provider=self.primary.provider,
                role_name=names.dr_operations_role,
                runbook_function_name=names.runbook_function,
                environment=env.environment,
                account_id=self.account_id,
                trusted_principals=env.dr_operations.trusted_principals,
                trusted_principal_patterns=env.dr_operations.trusted_principal_patterns,
                external_id=env.dr_operations.external_id,
                require_mfa=env.dr_operations.require_mfa,
                principal_tags=tuple(sorted(env.dr_operations.principal_tags.items())),
                global_cluster_id=names.global_cluster_id,
                global_cluster_arn=names.global_cluster_arn(self.account_id),
                cluster_arns=tuple(names.cluster_arn(self.account_id, region) for region in env.regions),
                zone_id=self.dns.zone_id,
                record_names=tuple(self.dns.chain_names),
                health_check_ids=tuple(self.dns.health_check_ids.values()),
                eks_cluster_arns=tuple(
                    f"arn:aws:eks:{region}:{self.account_id}:cluster/{names.regional(region)}" for region in env.regions if env.app_clusters.enabled
                ),
                restore=tuple(restore_scope(names, self.account_id, region, self.keys[region].key_arn) for region in env.regions),
                switchover_max_lag_seconds=env.failover.switchover_max_lag_seconds,
                region_switch_plan_arns=tuple(
                    names.region_switch_plan_arns(self.account_id, names.region_switch_plan(env.primary_region, secondary))
                    for secondary in env.secondary_regions
                    if env.region_switch.enabled
                ),
                reserved_concurrency=RUNBOOK_RESERVED_CONCURRENCY,
                log_retention_days=env.log_retention_days,
                # the ARC plan's post-recovery step keeps the point-of-failure snapshot with the monitor's own module
                package=build_package("failover", shared=("replication_monitor/preserve.py", "replication_monitor/contract.py")),
                role_description=naming.DR_ROLE_DESCRIPTION,
                function_description=naming.RUNBOOK_DESCRIPTION,
                automation=self._automation(),
                regions=tuple(
                    RunbookRegion(
                        provider=ctx.provider,
                        region=ctx.region,
                        kms_key_arn=self.keys[ctx.region].key_arn,
                        alert_topic_arn=self.alert_topics[ctx.region].topic_arn,
                    )
                    for ctx in self.regions
                ),
                lossy_failover_parameter=names.lossy_failover_parameter,
                record_grants=record_grants(names, self.account_id),
                reconcile_grants=reconcile_grants(names, self.account_id, tuple(self._region_scope(region) for region in env.regions)),
                plan_step_grants=(
                    plan_step_grants(names, self.account_id, tuple(self._region_scope(region) for region in env.regions))
                    if env.region_switch.enabled
                    else ()
                ),
            ),
        )

    def _automation(self) -> RunbookAutomation:
        env = self.env
        failover = env.failover
        return RunbookAutomation(
            names=env.names,
            account_id=self.account_id,
            member_regions=env.regions,
            mode=failover.mode,
            dry_run=failover.automation_dry_run,
            max_lag_seconds=env.rpo_budget_seconds,
            probe_interval_seconds=failover.probe_interval_seconds,
            lost_after_probes=failover.lost_after_probes,
        )

    def _writer_probes(self) -> dict[str, WriterProbeConstruct]:
        """A probe per region judging the other regions' writers, and the quorum's alarms (issue #24)."""
        env = self.env
        names = env.names
        failover = env.failover
        if failover.mode is FailoverMode.AUTOMATIC and len(env.regions) == 2:
            warning = (
                "failover.mode automatic with two regions: the single observer decides alone; if it loses every path to the writer's "
                "region (peering and the region's public API endpoint) it cannot tell that from an outage. Three regions are recommended."
            )
            Annotations.of(self).add_warning(warning)
            self.warnings.append(warning)
        package = build_package("writer_probe", shared=("replication_monitor/logic.py",))
        endpoints = {ctx.region: cluster.writer_endpoint for ctx, cluster in zip(self.regions, self.database.clusters, strict=True)}
        latch_arns = tuple(names.automation_latch_arn(self.account_id, region) for region in env.regions)
        runbooks = dict(zip(env.regions, self.dr_operations.functions, strict=True))
        peer_cidrs = tuple(str(self.networks[region].vpc_cidr) for region in env.regions)
        probes = {}
        for ctx in self.regions:
            network = self.networks[ctx.region]
            probes[ctx.region] = WriterProbeConstruct(
                self,
                f"{ctx.alias}_writer_probe",
                WriterProbeProps(
                    provider=ctx.provider,
                    region=ctx.region,
                    environment=env.environment,
                    account_id=self.account_id,
                    function_name=names.probe_function,
                    role_name=names.probe_role(ctx.region),
                    security_group_name=names.probe_security_group(ctx.region),
                    global_cluster_id=names.global_cluster_id,
                    global_cluster_arn=names.global_cluster_arn(self.account_id),
                    member_endpoints=endpoints,
                    member_cluster_arns=tuple(names.cluster_arn(self.account_id, region) for region in env.regions),
                    vpc_id=network.vpc_id,
                    app_subnet_ids=tuple(network.app_subnet_ids),
                    peer_cidrs=peer_cidrs,
                    probe_interval_seconds=failover.probe_interval_seconds,
                    lost_after_probes=failover.lost_after_probes,
                    kms_key_arn=self.keys[ctx.region].key_arn,
                    alert_topic_arn=self.alert_topics[ctx.region].topic_arn,
                    runbook_function_arn=runbooks[ctx.region].arn,
                    latch_parameter_name=names.automation_latch_parameter,
                    latch_parameter_arns=latch_arns,
                    own_latch_parameter_arn=names.automation_latch_arn(self.account_id, ctx.region),
                    reserved_concurrency=PROBE_RESERVED_CONCURRENCY,
                    log_retention_days=env.log_retention_days,
                    package=package,
                    watched=tuple(
                        WatchedWriter(
                            region=region,
                            lost_alarm_name=names.writer_lost_alarm(region, ctx.region),
                            unreachable_alarm_name=names.writer_unreachable_alarm(region, ctx.region),
                            control_path_alarm_name=names.writer_control_path_alarm(region, ctx.region),
                        )
                        for region in env.regions
                        if region != ctx.region
                    ),
                ),
            )
        return probes

    def _app_clusters(self) -> dict[str, AppClusterConstruct]:
        env = self.env
        apps = env.app_clusters
        if not apps.enabled:
            return {}
        return {
            ctx.region: AppClusterConstruct(
                self,
                f"{ctx.alias}_app_cluster",
                AppClusterProps(
                    provider=ctx.provider,
                    region=ctx.region,
                    name=env.names.regional(ctx.region),
                    kubernetes_version=apps.kubernetes_version,
                    endpoint_public_access=apps.endpoint_public_access,
                    public_access_cidrs=apps.public_access_cidrs,
                    node_instance_types=apps.node_instance_types,
                    node_min_size=apps.node_min_size,
                    node_desired_size=apps.node_desired_size,
                    node_max_size=apps.node_max_size,
                    capacity_type=apps.capacity_type.value,
                    app_subnet_ids=tuple(self.networks[ctx.region].app_subnet_ids),
                    database_security_group_id=self.networks[ctx.region].database_security_group_id,
                    kms_key_arn=self.keys[ctx.region].key_arn,
                    log_retention_days=env.log_retention_days,
                    admin_principal_arns=apps.admin_principal_arns,
                    operator_role_arn=self.dr_operations.role_arn,
                ),
            )
            for ctx in self.regions
        }

    def _region_switch_plans(self) -> list[RegionSwitchPlanConstruct]:
        """One ARC Region switch plan per pair {deploy-time primary, secondary k}: a plan has exactly two regions
        (API reference, CreatePlan.regions: 2 items). Each activates either region of its pair, so ARC moves the
        writer to any secondary and back home; a move between two secondaries is the runbook's."""
        env = self.env
        settings = env.region_switch
        if not settings.enabled:
            return []
        names = env.names
        provider = control_plane_provider(self, env, self.regions, CONTROL_PLANE_REGION)
        if all(ctx.provider is not provider for ctx in self.regions):
            self.control_plane_providers.append(provider)
        primary = self.primary.region
        workloads = tuple(EksWorkload(namespace=w.split("/")[0], name=w.split("/")[1]) for w in settings.eks_workloads)
        plans = []
        for index, ctx in enumerate(self.regions[1:]):
            name = names.region_switch_plan(primary, ctx.region)
            # Automatic activation (off by default) only for the first secondary: the primary's writer-lost alarm
            # lives in its observer, the first secondary, and one alarm must not start two plans. Not the
            # writer-healthy alarm: that one is red whenever the writer is elsewhere, so after any switchover it
            # would start an activation every TRIGGER_MIN_DELAY_MINUTES for as long as the writer stays away.
            observer = observer_of(env.regions, primary)
            trigger = (
                TriggerAlarm(
                    key=names.primary_lost_trigger_alarm(primary),
                    alarm_arn=f"arn:aws:cloudwatch:{observer}:{self.account_id}:alarm:{names.primary_lost_trigger_alarm(primary)}",
                    activates=ctx.region,
                )
                if settings.triggers and index == 0 and observer == ctx.region
                else None
            )
            plans.append(
                RegionSwitchPlanConstruct(
                    self,
                    f"{ctx.alias}_region_switch",
                    RegionSwitchPlanProps(
                        provider=provider,
                        iam_provider=self.primary.provider,
                        name=name,
                        role_name=names.region_switch_role(primary, ctx.region),
                        description=f"drkit {env.environment}: move the writer of {names.global_cluster_id} between {primary} and {ctx.region}",
                        account_id=self.account_id,
                        global_cluster_id=names.global_cluster_id,
                        global_cluster_arn=names.global_cluster_arn(self.account_id),
                        primary=self._plan_region(self.primary),
                        secondary=self._plan_region(ctx),
                        rto_target_seconds=env.rto_target_seconds,
                        # The approver: a configured role, else the DR role (which also starts: DRK011 warns in production).
                        approval_role_arn=(settings.approval_role_arn or self.dr_operations.role_arn) if settings.manual_approval else None,
                        trigger=trigger,
                        eks_workloads=workloads,
                        tags={**env.tags, "Environment": env.environment, "Project": PROJECT_NAME, "ManagedBy": MANAGED_BY},
                    ),
                )
            )
        return plans

    def _plan_region(self, ctx: RegionContext) -> PlanRegion:
        names = self.env.names
        app = self.app_clusters.get(ctx.region)
        return PlanRegion(
            region=ctx.region,
            cluster_arn=names.cluster_arn(self.account_id, ctx.region),
            runbook_function_arn=names.runbook_function_arn(self.account_id, ctx.region),
            eks_cluster_arn=f"arn:aws:eks:{ctx.region}:{self.account_id}:cluster/{names.regional(ctx.region)}" if app else None,
            eks_cluster_name=app.cluster_name if app else None,
            provider=ctx.provider,
        )

    # ------------------------------------------------------------------ outputs

    def _output(self, name: str, value: object, description: str) -> None:
        TerraformOutput(self, name, value=value, description=description)

    def _outputs(self) -> None:
        db = self.database
        self._output("global_cluster_id", db.global_cluster_id, "Aurora global cluster identifier")
        self._output(
            "global_writer_endpoint",
            db.global_writer_endpoint,
            "Global writer endpoint: Aurora moves it to the writer on switchover and failover",
        )
        self._output("dr_operations_role_arn", self.dr_operations.role_arn, "IAM role DR operators assume (with the configured ExternalId)")
        self._output("hosted_zone_id", self.dns.zone_id, "Private hosted zone with the failover records")
        self._output("database_record_name", self.dns.record_name, "Failover CNAME clients use: the member that holds a healthy writer")
        self._output("writer_record_name", self.dns.writer_record_name, "CNAME of the global writer endpoint")
        if self.fault_injection is not None:
            self._output("fault_injection_template_id", self.fault_injection.template_id, "AWS FIS template of the real-AWS game day")
        if self.region_switch_plans:
            self._output(
                "region_switch_plan_arns",
                {plan.name: plan.plan_arn for plan in self.region_switch_plans},
                "ARC Region switch plans by name (start an execution from the region to activate: drkit runbook arc-start)",
            )
        for ctx, cluster in zip(self.regions, db.clusters, strict=True):
            prefix = ctx.alias
            network = self.networks[ctx.region]
            self._output(f"{prefix}_region", ctx.region, f"AWS region of the {prefix} role")
            self._output(f"{prefix}_vpc_id", network.vpc_id, f"VPC of the {prefix} region")
            self._output(f"{prefix}_cluster_arn", cluster.cluster_arn, f"Aurora cluster ARN in the {prefix} region")
            self._output(f"{prefix}_cluster_endpoint", cluster.writer_endpoint, f"Cluster (writer) endpoint in the {prefix} region")
            self._output(f"{prefix}_cluster_reader_endpoint", cluster.reader_endpoint, f"Reader endpoint in the {prefix} region")
            self._output(f"{prefix}_db_secret_arn", cluster.secret_arn, f"Secrets Manager secret with the master credentials in the {prefix} region")
            self._output(f"{prefix}_kms_key_arn", self.keys[ctx.region].key_arn, f"Customer-managed KMS key of the {prefix} region")
            app = self.app_clusters.get(ctx.region)
            if app is not None:
                self._output(f"{prefix}_eks_cluster_name", app.cluster_name, f"EKS cluster for the transaction services in the {prefix} region")
                self._output(f"{prefix}_eks_cluster_endpoint", app.endpoint, f"EKS API endpoint (private) in the {prefix} region")
                self._output(f"{prefix}_eks_oidc_issuer", app.oidc_issuer, f"OIDC issuer for IAM roles for service accounts in the {prefix} region")
                self._output(f"{prefix}_eks_node_role_arn", app.node_role_arn, f"IAM role of the EKS nodes in the {prefix} region")
