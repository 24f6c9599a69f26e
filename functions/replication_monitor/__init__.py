"""Replication-lag monitor for an Aurora Global Database (runs every minute in each region)."""
