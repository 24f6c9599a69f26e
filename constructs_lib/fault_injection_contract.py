"""What FaultInjectionConstruct's template says about itself, readable without cdktf.

The template carries the tag ``<experiment_tag>=primary-region-outage``; a runner (``drkit gameday``)
finds it by that tag and imports this module, not the construct, so it needs neither jsii nor Node.
"""

PRIMARY_REGION_OUTAGE = "primary-region-outage"  # the experiment: the primary's app and data subnets cut off
DEFAULT_EXPERIMENT_TAG = "experiment"  # the tag key, unless the caller names its own (drkit: constructs_lib.naming)
