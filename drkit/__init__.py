"""drkit, the operator's tool: what runs against AWS, before and during an incident.

``drkit runbook`` (status, switchover, failover, point-in-time restore), ``drkit plan`` (a plan and its
review), ``drkit drift``, ``drkit diagram`` and ``drkit gameday`` (the FIS experiment on AWS). Each
reads the environments of ``cdktf.json`` (or ``$DR_CONFIG``) in the directory it runs in. Nothing here
imports the local lab (``drkit_lab``): a test keeps it so.
"""

__version__ = "0.6.0"
