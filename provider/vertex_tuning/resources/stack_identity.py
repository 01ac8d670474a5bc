"""StackIdentity: a random token that exists only in one stack's state.

Why: Vertex AI has no idempotency key, so a TuningJob finds the job an interrupted create
left running by a label. That label must be this resource's alone. The resource's URN is not
enough: two unrelated backends can hold stacks of the same project and stack names, with the
same resource names, and share nothing but those names. The token is made once per stack, by the
first update that declares a TuningJob, and recorded before any job is submitted (the jobs
depend on it), so a rerun after the CLI was killed reads the same token back from state, while
no other stack can have it. It is not a secret: it only has to be unique.

`stack_token()` declares the stack's one StackIdentity (per run of the program) and returns its
token; the provider does nothing in the cloud.
"""

from __future__ import annotations

import secrets
import weakref
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, ReadResult

from vertex_tuning import pulumi_compat
from vertex_tuning.resources.base import DynamicResource, Outputs, TypedProvider, resource_props

#: Short on purpose: the engine's display sizes its Type and Name columns to the longest, and
#: what is left of a 100-column terminal is the Info column a job's progress shows in.
NAME = "identity"


@dataclass(frozen=True)
class StackIdentityOutputs(Outputs):
    token: str = ""


class StackIdentityProvider(TypedProvider[Any]):
    """Makes the token at create; it never changes, and nothing exists outside the state."""

    inputs_model = "vertex_tuning.resources.inputs:NoInputs"
    outputs = StackIdentityOutputs
    kind = "StackIdentity"

    def create(self, props: dict[str, Any]) -> CreateResult:
        token = secrets.token_hex(16)
        return CreateResult(token, {**props, "token": token})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        return ReadResult(id_, props)

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        return None


class StackIdentity(DynamicResource, module="vertex-tuning", name="StackId"):
    """The stack's token (see the module docstring); one per stack."""

    token: pulumi.Output[str]

    def __init__(self, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(
            StackIdentityProvider(), NAME, resource_props({}, StackIdentityOutputs), opts
        )


#: The identity declared in each run of the program, by the run's root resource.
_declared: weakref.WeakKeyDictionary[Any, StackIdentity] = weakref.WeakKeyDictionary()


def stack_token() -> pulumi.Output[str]:
    """The stack's token, declaring its StackIdentity the first time a run asks."""
    run = pulumi_compat.current_run()
    identity = _declared.get(run)
    if identity is None:
        identity = _declared[run] = StackIdentity()
    return identity.token
