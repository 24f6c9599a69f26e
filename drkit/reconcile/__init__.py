"""After a lossy failover: account for every acknowledged transaction (``drkit runbook reconcile``).

``aws`` finds the failover, preserves and restores the point-of-failure snapshot; ``database`` connects;
``ledger`` replays keyed transactions; ``tables`` compares configured tables by primary key; ``evidence``
is the report; ``run`` puts them together; ``cli`` is the runbook's command.
"""
