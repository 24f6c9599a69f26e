"""Writer probe: judges, from another region, whether the global database's writer is lost (every 10 s)."""
