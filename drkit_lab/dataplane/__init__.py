"""The real data plane behind the emulated Aurora clusters: PostgreSQL servers, streaming replication,
real lag, real switchover and failover, and a ledger workload that measures RPO and RTO as clients see them."""
