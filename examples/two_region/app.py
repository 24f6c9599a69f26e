"""Two regions, one Aurora PostgreSQL global database, and a ``db`` name that follows the writer.

drkit's constructs in a plain CDK for Terraform app: no drkit configuration, your own names. Run
``python app.py`` (or ``cdktf synth``), then ``terraform -chdir=cdktf.out/stacks/shop-dr init`` and ``plan``
with ``TF_VAR_db_master_password`` set.
"""

from constructs_lib import speedups

speedups.enable()  # optional, and before cdktf is imported: lazy provider modules, a synth in seconds

import ipaddress

from cdktf import App, TerraformOutput, TerraformStack, TerraformVariable
from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import CloudwatchMetricAlarm
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.provider import AwsProvider

import constructs_lib as dr
from constructs_lib.engine_catalog import load_catalog

# region -> (VPC range, AZ IDs); the first region is the deploy-time primary
REGIONS = {"us-east-1": ("10.8.0.0/16", ("use1-az1", "use1-az2", "use1-az4")), "us-west-2": ("10.9.0.0/16", ("usw2-az1", "usw2-az2", "usw2-az3"))}
VERSION = load_catalog().newest(17)  # an aurora-postgresql version with global-database support

app = App()
stack = TerraformStack(app, "shop-dr")
password = TerraformVariable(stack, "db_master_password", type="string", sensitive=True, nullable=False)
password.add_override("ephemeral", True)  # it reaches AWS through write-only arguments only
aws = {region: AwsProvider(stack, f"aws_{region.replace('-', '_')}", region=region, alias=region.replace("-", "_")) for region in REGIONS}
account = DataAwsCallerIdentity(stack, "caller", provider=aws["us-east-1"]).account_id
plans = {region: dr.SubnetPlan(vpc_cidr=ipaddress.IPv4Network(cidr), availability_zones=len(zones)) for region, (cidr, zones) in REGIONS.items()}
app_ranges = tuple(cidr for plan in plans.values() for cidr in plan.cidrs(dr.Tier.APP))  # the apps of both regions reach the writer

networks: dict[str, dr.NetworkConstruct] = {}
members: list[dr.RegionalDatabaseInput] = []
for index, (region, (_, zones)) in enumerate(REGIONS.items()):
    name, role = f"shop-{region}", dr.RegionRole.PRIMARY if index == 0 else dr.RegionRole.SECONDARY
    key_props = dr.RegionalKeyProps(provider=aws[region], region=region, account_id=account, alias_name=name)
    key = dr.RegionalKeyConstruct(stack, f"key_{index}", key_props)
    net = networks[region] = dr.NetworkConstruct(stack, f"network_{index}", dr.NetworkProps(
        provider=aws[region], name=name, region=region, vpc_cidr=plans[region].vpc_cidr, availability_zone_ids=zones, kms_key_arn=key.key_arn,
        database_client_cidrs=app_ranges))
    members.append(dr.RegionalDatabaseInput(
        provider=aws[region], region=region, role=role, subnet_ids=tuple(net.data_subnet_ids), availability_zones=tuple(net.availability_zones),
        security_group_id=net.database_security_group_id, kms_key_arn=key.key_arn, cluster_identifier=name))

database = dr.AuroraGlobalConstruct(stack, "database", dr.AuroraGlobalProps(
    global_cluster_identifier="shop", engine_version=VERSION, parameter_group_family=f"aurora-postgresql{VERSION.split('.')[0]}",
    database_name="orders", master_username="dbadmin", master_password=password.string_value, regions=tuple(members), iam_provider=aws["us-east-1"]))

# Is the writer alive in us-east-1? Judged from us-west-2, never from inside the region it judges. drkit's
# ReplicationMonitorConstruct publishes that signal; here it is your own probe's metric.
healthy = CloudwatchMetricAlarm(
    stack, "writer_healthy_us_east_1", provider=aws["us-west-2"], alarm_name="shop-writer-healthy-in-us-east-1", namespace="Shop/Database",
    metric_name="WriterHealthy", dimensions={"Region": "us-east-1"}, statistic="Minimum", period=60, evaluation_periods=2, threshold=1,
    comparison_operator="LessThanThreshold", treat_missing_data="missing")
chain = (
    dr.DnsMember(region="us-east-1", endpoint=database.primary.writer_endpoint, alarm_region="us-west-2", writer_healthy_alarm=healthy.alarm_name),
    dr.DnsMember(region="us-west-2", endpoint=database.secondaries[0].writer_endpoint, writer_healthy_alarm=None, alarm_region=None),
)  # the last member has no health check: it answers when no other does
dns = dr.FailoverDnsConstruct(stack, "dns", dr.FailoverDnsProps(
    provider=aws["us-east-1"], name="shop", zone_name="shop.internal", members=chain, global_writer_endpoint=database.global_writer_endpoint,
    vpcs=tuple(dr.ZoneVpc(vpc_id=network.vpc_id, region=region) for region, network in networks.items())))

TerraformOutput(stack, "database_name", value=dns.record_name, description="follows the writer (connect to the last name of its CNAME chain)")
TerraformOutput(stack, "writer_name", value=dns.writer_record_name, description="the global writer endpoint, which Aurora moves itself")
app.synth()
