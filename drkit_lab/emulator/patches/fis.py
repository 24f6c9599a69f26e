"""AWS FIS: experiment templates as the provider reads them, and experiments that refuse to pretend."""

from __future__ import annotations

import json
from typing import Any

from moto.core.exceptions import JsonRESTError
from moto.core.utils import unix_time
from moto.fis import models as fis_models
from moto.fis import responses as fis_responses
from moto.fis import urls as fis_urls
from moto.fis.exceptions import ResourceNotFoundException

from drkit_lab.emulator.patches.registry import patch


class ValidationException(JsonRESTError):
    def __init__(self, message: str) -> None:
        super().__init__("ValidationException", message)


def _template(backend: fis_models.FISBackend, template_id: str) -> fis_models.ExperimentTemplate:
    found = backend.experiment_templates.get(template_id)
    if found is None:
        raise ResourceNotFoundException(f"Experiment template {template_id} not found")
    return found


@patch
def experiment_templates_read_back() -> None:
    """AWS: GetExperimentTemplate returns a template by id, ListExperimentTemplates lists them,
    UpdateExperimentTemplate changes description, targets, actions, stop conditions, role and logging
    in place (AWS FIS API reference). The provider's ``aws_fis_experiment_template`` reads the
    template back after every create and update (hashicorp/terraform-provider-aws,
    ``internal/service/fis/experiment_template.go``).

    moto creates and deletes templates only, so the provider's first read fails."""
    fis_urls.url_paths["{0}/experimentTemplates/?$"] = fis_responses.FISResponse.dispatch

    def template_id(self: fis_responses.FISResponse) -> str:
        return self.path.rstrip("/").rsplit("/", 1)[-1]

    def get(self: fis_responses.FISResponse) -> str:
        backend = self.fis_backend
        template = _template(backend, template_id(self))
        return json.dumps({"experimentTemplate": template.to_dict(tags=backend.tagger.get_tag_dict_for_resource(template.arn))})

    def listing(self: fis_responses.FISResponse) -> str:
        backend = self.fis_backend
        summaries = [
            {
                "id": t.id,
                "arn": t.arn,
                "description": t.description,
                "creationTime": t.creation_time,
                "lastUpdateTime": t.last_update_time,
                "tags": backend.tagger.get_tag_dict_for_resource(t.arn),
            }
            for t in backend.experiment_templates.values()
        ]
        return json.dumps({"experimentTemplates": summaries})

    def update(self: fis_responses.FISResponse) -> str:
        backend = self.fis_backend
        template = _template(backend, template_id(self))
        body: dict[str, Any] = json.loads(self.body or "{}")
        fields = {
            "description": "description",
            "stopConditions": "stop_conditions",
            "targets": "targets",
            "actions": "actions",
            "roleArn": "role_arn",
            "logConfiguration": "log_configuration",
            "experimentOptions": "experiment_options",
        }
        for key, attribute in fields.items():
            if key in body:
                setattr(template, attribute, body[key])
        template.last_update_time = unix_time()
        return json.dumps({"experimentTemplate": template.to_dict(tags=backend.tagger.get_tag_dict_for_resource(template.arn))})

    fis_responses.FISResponse.get_experiment_template = get  # type: ignore[attr-defined]
    fis_responses.FISResponse.list_experiment_templates = listing  # type: ignore[attr-defined]
    fis_responses.FISResponse.update_experiment_template = update  # type: ignore[attr-defined]


@patch
def experiments_are_not_emulated() -> None:
    """AWS: StartExperiment runs the template's actions against real resources.

    The emulator has no network to cut (no packets flow between emulated subnets), so an experiment
    that "completed" here would be a claim without an observation. StartExperiment is refused with
    a message that says so; the local game day (``make gameday``) rehearses the outage by stopping the
    region's APIs instead. moto would route the call to nothing and answer 404."""
    fis_urls.url_paths["{0}/experiments/?$"] = fis_responses.FISResponse.dispatch

    def start(self: fis_responses.FISResponse) -> str:
        body: dict[str, Any] = json.loads(self.body or "{}")
        _template(self.fis_backend, str(body.get("experimentTemplateId", "")))
        raise ValidationException("the drkit emulator does not run FIS experiments (no network to disrupt): rehearse locally with `make gameday`")

    fis_responses.FISResponse.start_experiment = start  # type: ignore[attr-defined]
