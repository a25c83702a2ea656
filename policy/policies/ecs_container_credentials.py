"""No AWS credentials in container environment variables (mandatory).

Long-lived keys in a task definition are readable by anyone who can describe it; the task role
gives the same access without a secret. Security Hub ECS.8; checkov: none.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ._containers import TASK_DEFINITION, containers, name_of
from ._graph import UNKNOWN, Res, as_list
from ._rule import Unverifiable, resource_rule

CREDENTIAL_NAMES = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"}
ACCESS_KEY = re.compile(r"(AKIA|ASIA)[A-Z0-9]{16}")


def _check(res: Res, config: dict[str, Any]) -> Iterator[str]:
    found = containers(res)
    if found is UNKNOWN:
        yield Unverifiable("cannot verify: the container definitions are not known in this preview.")
        return
    for c in found:
        for variable in as_list(c.get("environment")):
            if not isinstance(variable, dict):
                continue
            name, value = str(variable.get("name", "")), str(variable.get("value", ""))
            if name.upper() in CREDENTIAL_NAMES or ACCESS_KEY.search(value):
                yield f"container {name_of(c)} holds AWS credentials in {name}; remove them and use the task role."


ecs_no_aws_credentials_in_env = resource_rule(
    "efs-platform-ecs-no-aws-credentials-in-env",
    "Container definitions must not hold AWS credentials in environment variables. Security Hub ECS.8; checkov: none.",
    (TASK_DEFINITION,),
    _check,
)
