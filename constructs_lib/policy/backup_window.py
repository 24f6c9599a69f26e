"""DRK010 (warning): an AWS Backup rule may start inside a cluster's preferred backup window.

Aurora takes its daily system backup in the cluster's preferred backup window (Aurora user guide, "Backup
window": "the backup window is used to create a daily system backup"), and an AWS Backup job of an Aurora
cluster is a cluster snapshot too ("Backups managed by AWS Backup are considered manual DB cluster
snapshots", Aurora user guide, "Using AWS Backup"). AWS documents no rule that the two must not overlap
(the AWS Backup developer guide restricts starts around *maintenance* windows, and exempts Aurora), so this
is a warning: a schedule whose start window (``start_window`` minutes after the cron time; 60 when a rule
names none, the Terraform provider's default) reaches into the cluster's backup window runs two snapshots of
one volume at once, and may have to wait for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from constructs_lib.policy.base import Finding, Level, StackView

DAY = 24 * 60
# What a Terraform rule that names no start_window gets: terraform-provider-aws, internal/service/backup/plan.go,
# rule "start_window": {Type: schema.TypeInt, Optional: true, Default: 60}, always sent as StartWindowMinutes.
# (The 8 hours of the AWS Backup console and of StartBackupJob never apply to a Terraform rule.)
DEFAULT_START_WINDOW_MINUTES = 60


def _values(field: str, limit: int) -> set[int] | None:
    """The values a cron field takes (``*``, ``5``, ``1,2``, ``1-3``, ``*/6``, ``2/6``); None when not understood."""
    found: set[int] = set()
    for part in field.split(","):
        match = re.fullmatch(r"(\*|\d+)(?:-(\d+))?(?:/(\d+))?", part)
        if match is None:
            return None
        start = 0 if match.group(1) == "*" else int(match.group(1))
        end = limit - 1 if match.group(1) == "*" or (match.group(3) and not match.group(2)) else int(match.group(2) or start)
        found.update(range(start, end + 1, int(match.group(3) or 1)))
    return found


def start_minutes(schedule: str) -> set[int] | None:
    """Minutes of the day an AWS Backup ``cron(M H DOM MON DOW Y)`` schedule starts at; None when not understood."""
    match = re.fullmatch(r"cron\((\S+) (\S+) \S+ \S+ \S+ \S+\)", schedule.strip())
    if match is None:
        return None
    minutes, hours = _values(match.group(1), 60), _values(match.group(2), 24)
    if minutes is None or hours is None:
        return None
    return {h * 60 + m for h in hours for m in minutes}


def window_minutes(window: str) -> tuple[int, int] | None:
    """``hh24:mi-hh24:mi`` as (start, end) minutes of the day."""
    match = re.fullmatch(r"(\d\d):(\d\d)-(\d\d):(\d\d)", window.strip())
    if match is None:
        return None
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    return h1 * 60 + m1, h2 * 60 + m2


def overlaps(start: int, length: int, window: tuple[int, int]) -> bool:
    """Whether ``[start, start + length)`` (minutes, wrapping at midnight) meets the daily ``window``."""
    w_start, w_end = window
    w_length = (w_end - w_start) % DAY or DAY
    return (w_start - start) % DAY < length or (start - w_start) % DAY < w_length


@dataclass(frozen=True)
class BackupOutsideDatabaseWindows:
    rule_id: str = "DRK010"
    explanation: str = "an AWS Backup rule that may start inside a cluster's preferred backup window snapshots the volume twice at once"
    level: Level = Level.WARNING

    def check(self, stack: StackView) -> list[Finding]:
        windows = {w for _, body in stack.resources("aws_rds_cluster") if (w := window_minutes(str(body.get("preferred_backup_window", ""))))}
        findings = []
        for address, plan in stack.resources("aws_backup_plan"):
            for rule in plan.get("rule") or []:
                schedule = str(rule.get("schedule", ""))
                starts = start_minutes(schedule)
                length = int(rule.get("start_window") or DEFAULT_START_WINDOW_MINUTES)
                if starts is None:
                    why = f"schedule {schedule!r} not understood: check it against the clusters' backup window"
                    findings.append(Finding(self.rule_id, self.level, address, why))
                    continue
                for window in sorted(windows):
                    if any(overlaps(start, length, window) for start in starts):
                        shown = f"{window[0] // 60:02d}:{window[0] % 60:02d}-{window[1] // 60:02d}:{window[1] % 60:02d}"
                        why = f"{schedule} with a {length}-minute start window can start inside the clusters' backup window {shown} UTC"
                        findings.append(Finding(self.rule_id, self.level, address, why))
        return findings
