"""AWS Backup: selections, recovery-point listing, the plan-deletion guard, vault notifications."""

from __future__ import annotations

import json
from typing import Any

from moto.backup import models as backup_models
from moto.backup import responses as backup_responses
from moto.backup import urls as backup_urls
from moto.backup.exceptions import ResourceNotFoundException
from moto.core.common_models import BaseModel
from moto.core.exceptions import JsonRESTError
from moto.moto_api._internal import mock_random

from drkit_lab.emulator.patches.registry import patch


class Selection(BaseModel):
    def __init__(self, plan_id: str, selection: dict[str, Any], creator_request_id: str | None) -> None:
        self.selection_id = str(mock_random.uuid4())
        self.plan_id = plan_id
        self.selection = selection
        self.creator_request_id = creator_request_id


class InvalidRequestException(JsonRESTError):
    def __init__(self, message: str) -> None:
        super().__init__("InvalidRequestException", message)


@patch
def backup_selections() -> None:
    """AWS: CreateBackupSelection / GetBackupSelection / DeleteBackupSelection / ListBackupSelections
    assign resources to a backup plan (AWS Backup API reference), and DeleteBackupPlan refuses a plan
    that still has selections ("Related backup plan selections must be deleted prior to backup plan
    deletion").

    moto has no selections, so the provider's ``aws_backup_selection`` fails, and it deletes plans
    whatever they still select."""
    original_delete_plan = backup_models.BackupBackend.delete_backup_plan

    def selections(backend: backup_models.BackupBackend) -> dict[str, Selection]:
        if not hasattr(backend, "drkit_selections"):
            backend.drkit_selections = {}  # type: ignore[attr-defined]
        return backend.drkit_selections  # type: ignore[attr-defined, no-any-return]

    def plan_of(backend: backup_models.BackupBackend, plan_id: str) -> None:
        if plan_id not in backend.plans or backend.plans[plan_id].deletion_date is not None:
            raise ResourceNotFoundException(msg=f"Backup plan {plan_id} not found")

    def selection_path(path: str) -> tuple[str, str | None]:
        after = path.split("/backup/plans/", 1)[1].strip("/")
        parts = after.split("/")  # <plan>/selections[/<selection>]
        return parts[0], (parts[2] if len(parts) > 2 else None)

    def create(self: backup_responses.BackupResponse) -> str:
        plan_id, _ = selection_path(self.path)
        plan_of(self.backup_backend, plan_id)
        body = json.loads(self.body or "{}")
        selection = Selection(plan_id, body["BackupSelection"], body.get("CreatorRequestId"))
        selections(self.backup_backend)[selection.selection_id] = selection
        return json.dumps({"SelectionId": selection.selection_id, "BackupPlanId": plan_id, "CreationDate": 0})

    def get(self: backup_responses.BackupResponse) -> str:
        plan_id, selection_id = selection_path(self.path)
        found = selections(self.backup_backend).get(selection_id or "")
        if found is None or found.plan_id != plan_id:
            raise ResourceNotFoundException(msg=f"Backup selection {selection_id} not found")
        return json.dumps(
            {
                "BackupSelection": found.selection,
                "SelectionId": found.selection_id,
                "BackupPlanId": plan_id,
                "CreatorRequestId": found.creator_request_id,
            }
        )

    def delete(self: backup_responses.BackupResponse) -> str:
        _plan_id, selection_id = selection_path(self.path)
        found = selections(self.backup_backend).pop(selection_id or "", None)
        if found is None:
            raise ResourceNotFoundException(msg=f"Backup selection {selection_id} not found")
        return "{}"

    def listing(self: backup_responses.BackupResponse) -> str:
        plan_id, _ = selection_path(self.path)
        plan_of(self.backup_backend, plan_id)
        items = [
            {
                "SelectionId": s.selection_id,
                "SelectionName": s.selection.get("SelectionName"),
                "BackupPlanId": plan_id,
                "IamRoleArn": s.selection.get("IamRoleArn"),
            }
            for s in selections(self.backup_backend).values()
            if s.plan_id == plan_id
        ]
        return json.dumps({"BackupSelectionsList": items})

    def delete_plan(self: backup_models.BackupBackend, backup_plan_id: str) -> Any:
        if any(s.plan_id == backup_plan_id for s in selections(self).values()):
            raise InvalidRequestException("Related backup plan selections must be deleted prior to backup plan deletion")
        return original_delete_plan(self, backup_plan_id)

    backup_responses.BackupResponse.create_backup_selection = create  # type: ignore[attr-defined]
    backup_responses.BackupResponse.get_backup_selection = get  # type: ignore[attr-defined]
    backup_responses.BackupResponse.delete_backup_selection = delete  # type: ignore[attr-defined]
    backup_responses.BackupResponse.list_backup_selections = listing  # type: ignore[attr-defined]
    backup_models.BackupBackend.delete_backup_plan = delete_plan  # type: ignore[method-assign]


@patch
def recovery_points_of_a_vault() -> None:
    """AWS: ListRecoveryPointsByBackupVault lists a vault's recovery points; the provider calls it to
    empty a ``force_destroy`` vault before deleting it.

    moto has no route for it. The emulator runs no backup jobs, so every vault is empty: it answers
    with an empty list."""
    backup_urls.url_paths["{0}/backup-vaults/(?P<name>[^/]+)/recovery-points/?$"] = backup_urls.response.dispatch

    def listing(self: backup_responses.BackupResponse) -> str:
        name = self.path.split("/backup-vaults/", 1)[1].split("/")[0]
        self.backup_backend.describe_backup_vault(name)  # ResourceNotFound for an unknown vault
        return json.dumps({"RecoveryPoints": []})

    backup_responses.BackupResponse.list_recovery_points_by_backup_vault = listing  # type: ignore[attr-defined]


@patch
def tags_of_a_resource() -> None:
    """AWS: ListTags (``GET /tags/{resourceArn}/``) returns the resource's tags. The Go SDK the
    provider uses sends the path without the trailing slash.

    moto takes the ARN from the second-to-last path segment, so without the slash it reads "tags",
    answers no tags, and every plan wants to add the default tags again."""
    from urllib.parse import unquote

    def list_tags(self: backup_responses.BackupResponse) -> str:
        arn = unquote(self.path.split("/tags/", 1)[1]).rstrip("/")
        return json.dumps({"Tags": self.backup_backend.list_tags(resource_arn=arn)})

    backup_responses.BackupResponse.list_tags = list_tags  # type: ignore[method-assign]


class InvalidParameterValueException(JsonRESTError):
    def __init__(self, message: str) -> None:
        super().__init__("InvalidParameterValueException", message)


@patch
def vault_notifications() -> None:
    """AWS: PutBackupVaultNotifications / GetBackupVaultNotifications / DeleteBackupVaultNotifications
    (``/backup-vaults/{name}/notification-configuration``) keep a vault's SNS topic and events; Get answers
    ``BackupVaultName``, ``BackupVaultArn``, ``SNSTopicArn`` and ``BackupVaultEvents`` (AWS Backup API reference), an
    unknown vault is ResourceNotFoundException, an event outside the API's ``BackupVaultEvent`` enum is refused, and so
    is a topic of another account ("AWS Backup does not currently support [cross-account notifications]. You must
    specify your own AWS account ID and the resource ARN of your topic", AWS Backup developer guide, "Notification
    options with AWS Backup"). A vault without notifications reads as not found, which the provider's
    ``aws_backup_vault_notifications`` takes as gone; they go with the vault.

    moto has none of the three routes, so the provider's ``aws_backup_vault_notifications`` fails at create. The
    emulator keeps the configuration and sends nothing (it runs no backup or copy jobs)."""
    import botocore.session

    events = frozenset(botocore.session.get_session().get_service_model("backup").shape_for("BackupVaultEvent").enum)
    backup_urls.url_paths["{0}/backup-vaults/(?P<name>[^/]+)/notification-configuration/?$"] = backup_urls.response.dispatch

    def vault_of(self: backup_responses.BackupResponse) -> Any:
        name = self.path.split("/backup-vaults/", 1)[1].split("/")[0]
        return self.backup_backend.describe_backup_vault(name)  # ResourceNotFoundException for an unknown vault

    def put(self: backup_responses.BackupResponse) -> str:
        vault = vault_of(self)
        body = json.loads(self.body or "{}")
        topic, wanted = str(body.get("SNSTopicArn", "")), list(body.get("BackupVaultEvents") or [])
        unknown = sorted(set(wanted) - events)
        if unknown:
            raise InvalidParameterValueException(f"Invalid BackupVaultEvents: {', '.join(unknown)}")
        parts = topic.split(":")
        if len(parts) != 6 or parts[2] != "sns" or parts[4] != self.current_account:
            raise InvalidParameterValueException(f"SNSTopicArn {topic} is not a topic of account {self.current_account}")
        vault.drkit_notifications = {"SNSTopicArn": topic, "BackupVaultEvents": wanted}
        return "{}"

    def get(self: backup_responses.BackupResponse) -> str:
        vault = vault_of(self)
        found = getattr(vault, "drkit_notifications", None)
        if found is None:
            raise ResourceNotFoundException(msg=f"Backup vault {vault.backup_vault_name} has no notifications")
        return json.dumps({"BackupVaultName": vault.backup_vault_name, "BackupVaultArn": vault.backup_vault_arn, **found})

    def delete(self: backup_responses.BackupResponse) -> str:
        vault_of(self).drkit_notifications = None
        return "{}"

    backup_responses.BackupResponse.put_backup_vault_notifications = put  # type: ignore[attr-defined]
    backup_responses.BackupResponse.get_backup_vault_notifications = get  # type: ignore[attr-defined]
    backup_responses.BackupResponse.delete_backup_vault_notifications = delete  # type: ignore[attr-defined]
