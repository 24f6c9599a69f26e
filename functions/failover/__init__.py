"""DR runbook: switchover (planned) and failover (unplanned) of the Aurora global database."""
