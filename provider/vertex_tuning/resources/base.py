"""The one shape of every dynamic resource here: typed inputs and outputs, and the lifecycle
steps that follow from them.

A resource declares an `Inputs` model (pydantic, in inputs.py's terms) whose fields carry their
markers in `Annotated[...]`: `REPLACES` (a change means a new cloud resource), `DERIVED` (computed by check), `StandIn(value)` (what the
field is checked as while a preview cannot know it) and `NOT_DIFFED` (where a value lives, not
what it is). Its `Outputs` model lists what create and read add. From these, `TypedProvider`
derives check (one error mapping, the same property naming everywhere), diff (the replace
table), update (no API call, every output kept) and the check stamp. The resource itself is
then its inputs, its outputs, and its create, read and delete.

Pulumi stores the provider object in state with dill and unpickles it in the provider process,
so clients, credentials, locks or config on it would leak into state or fail to load: a provider
pickles to `{}`, keeps stack config in memory only (set by `configure`) and builds clients per
operation. Nothing here imports pydantic: a preview of an unchanged stamped resource returns
before any model is touched (see `_stamp`), so each resource keeps its Inputs model in a
module of its own (`<resource>_inputs.py`), loaded by name when a check has work to do.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from importlib import import_module
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    DiffResult,
    Resource,
    ResourceProvider,
    UpdateResult,
)

from vertex_tuning import pulumi_compat
from vertex_tuning._version import __version__

if TYPE_CHECKING:
    from vertex_tuning.resources.inputs import Inputs

#: The checked inputs carry the stamp of what they were checked from; the CLI's diff display
#: hides "__" keys, as it does the serialized provider.
STAMP_KEY = "__checked"
PROVIDER_KEY = "__provider"


class _Replace:
    """Marks an input whose change replaces the resource (a new job, new objects)."""

    def __repr__(self) -> str:
        return "REPLACES"


class _NotDiffed:
    """Marks an input that says where something is, not what it is: never a change."""

    def __repr__(self) -> str:
        return "NOT_DIFFED"


class _Derived:
    """Marks an input that check computes (a content hash): never the user's to set."""

    def __repr__(self) -> str:
        return "DERIVED"


REPLACES = _Replace()
NOT_DIFFED = _NotDiffed()
DERIVED = _Derived()


@dataclass(frozen=True)
class StandIn:
    """The value an input is checked as while `pulumi preview` cannot know it yet."""

    value: Any


@dataclass(frozen=True)
class Outputs:
    """What create and read add to a resource's inputs: a frozen dataclass per resource.

    A dataclass, not a pydantic model: the provider process needs the keys on every preview,
    and importing pydantic alone would cost more than the whole check of an unchanged resource.
    """

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


InputsT = TypeVar("InputsT", bound="Inputs")


class TypedProvider(ResourceProvider, Generic[InputsT]):
    """check, diff and update derived from `inputs` and `outputs`; subclasses add the rest.

    Subclasses set `inputs_model`, `outputs` and `kind` (the resource's name in messages) and may
    override `prepare` (derive inputs from others before validation, and check what needs more
    than one field or the outside world), then implement create, read and delete.
    """

    #: "module:Class" of the Inputs model, imported on first use: pydantic loads only when a
    #: check or diff has something to validate or compare.
    inputs_model: ClassVar[str]
    outputs: ClassVar[type[Outputs]]
    kind: ClassVar[str]
    #: Delete the old resource before creating its replacement (default: create first, so
    #: consumers move to the new one before the old one goes).
    delete_before_replace: ClassVar[bool] = False
    #: Skip re-checking when the raw inputs, defaults and release match the state's stamp. Off
    #: for resources whose check reads something outside the inputs (a local file).
    stamped: ClassVar[bool] = True
    #: Hints for inputs that are missing: where a value can come from.
    missing_hints: ClassVar[Mapping[str, str]] = {}

    serialize_as_secret_always = False  # nothing secret is pickled: state stays inspectable

    @classmethod
    def inputs(cls) -> type[Inputs]:
        """The Inputs model (pydantic), imported on first use."""
        module, _, name = cls.inputs_model.partition(":")
        model: type[Inputs] = getattr(import_module(module), name)
        return model

    # --- pickling and config: nothing survives but the class ---
    def __getstate__(self) -> dict[str, Any]:
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._config: dict[str, Any] = {}

    def configure(self, req: ConfigureRequest) -> None:
        self._config = pulumi_compat.config_values(req.config)

    def config_get(self, key: str) -> Any:
        """A stack config value (`gcp:project`, ...), or None; works before configure too."""
        return getattr(self, "_config", {}).get(key)

    def defaults(self) -> dict[str, Any]:
        """Values for inputs left unset (project, location from stack config): none by default."""
        return {}

    # --- check ---
    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        raw = self.raw_inputs(news)
        unknown = frozenset(k for k, v in raw.items() if is_unknown(v))
        defaults = self.defaults()
        stamp = _stamp(raw, defaults) if self.stamped and not unknown else None
        if stamp is not None and olds.get(STAMP_KEY) == stamp:
            return CheckResult(olds, [])
        checked, failures = self.check_inputs(olds, raw, defaults, unknown)
        if failures:
            return CheckResult(news, [CheckFailure(f.property, f.reason) for f in failures])
        for note in self.notes(checked):
            say(f"warning: {note}")
        if stamp is not None:
            checked[STAMP_KEY] = stamp
        return CheckResult({**checked, **{k: raw[k] for k in unknown}}, [])

    def raw_inputs(self, news: Mapping[str, Any]) -> dict[str, Any]:
        """The inputs as the program sent them, without outputs or the engine's own keys."""
        outputs = set(self.outputs.names())
        return {k: v for k, v in news.items() if not k.startswith("__") and k not in outputs}

    def check_inputs(
        self,
        olds: Mapping[str, Any],
        raw: Mapping[str, Any],
        defaults: Mapping[str, Any],
        unknown: frozenset[str] = frozenset(),
    ) -> tuple[dict[str, Any], list[Failure]]:
        """Validate raw inputs: the normalised inputs for state, or one failure per rule broken.

        Unknown inputs are checked as their stand-ins (or not at all when they have none) and
        left out of the result; failures of unknown inputs wait for `pulumi up`.
        """
        values = {k: v for k, v in raw.items() if v is not None and k not in unknown}
        stand_ins = self.inputs().stand_ins()
        values.update({k: stand_ins[k] for k in unknown if k in stand_ins})
        for key, value in defaults.items():
            if values.get(key) in (None, "") and key not in unknown and value not in (None, ""):
                values[key] = value
        draft = Draft(olds, values, unknown, [])
        self.prepare(draft)
        failures = draft.failures
        from pydantic import ValidationError

        model: InputsT | None = None
        try:
            valid: InputsT = self.inputs().model_validate(values)  # type: ignore[assignment]
        except ValidationError as exc:
            failures += [self._failure(err) for err in exc.errors()]
        else:
            model = valid
        failures = [f for f in failures if f.property not in unknown]
        if failures or model is None:
            # Not judged yet (it rests on unknown inputs), or wrong: kept as given.
            return {k: v for k, v in raw.items() if k not in unknown}, failures
        checked = model.model_dump(mode="json", exclude_none=True)
        return {k: v for k, v in checked.items() if k not in unknown}, []

    def prepare(self, draft: Draft) -> None:
        """Derive inputs from others before validation (a default name, a content hash), and
        add failures that need more than one field's rule (the data in a file)."""

    def notes(self, checked: Mapping[str, Any]) -> list[str]:
        """Warnings about valid inputs (a model the catalog does not know yet), said at check;
        `checked` holds the known ones, normalised."""
        return []

    def parsed(self, props: Mapping[str, Any]) -> InputsT:
        """The typed inputs of checked properties (state, or what create and update get)."""
        known = self.inputs().model_fields
        model = self.inputs().model_validate({k: v for k, v in props.items() if k in known})
        return model  # type: ignore[return-value]

    # --- diff ---
    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        if _same_stamp(olds, news):
            return DiffResult(changes=False, replaces=[], stables=[], delete_before_replace=False)
        keys = self.inputs().diffed() | {PROVIDER_KEY}
        changed = sorted(k for k in keys if differs(olds.get(k), news.get(k)))
        replace_on_change = self.inputs().replace_on_change()
        replaces = [k for k in changed if k in replace_on_change]
        return DiffResult(
            changes=bool(changed),
            replaces=replaces,
            # An in-place update keeps every output (update below): tell the engine, so a
            # preview does not show downstream values as unknown.
            stables=[]
            if replaces
            else [
                k for k in self.outputs.names() if k not in self.changes_in_place(_id, olds, news)
            ],
            delete_before_replace=self.delete_before_replace,
        )

    # --- update ---
    def preview_update(
        self, id_: str, olds: dict[str, Any], news: dict[str, Any]
    ) -> dict[str, Any]:
        """What `pulumi preview` shows after an in-place update: every output it keeps stays
        known (downstream inputs do not turn unknown), those it may change are left unknown."""
        changing = self.changes_in_place(id_, olds, news)
        return {k: v for k, v in {**olds, **news}.items() if k not in changing}

    def changes_in_place(
        self, _id: str, olds: Mapping[str, Any], news: Mapping[str, Any]
    ) -> frozenset[str]:
        """The outputs this update may change (none, for a behaviour-only update)."""
        return frozenset()

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Only behaviour (or the provider's code) changed: no API call, every output kept."""
        return UpdateResult(without_none({**olds, **news}))

    # --- error mapping ---
    def _failure(self, err: Mapping[str, Any]) -> Failure:
        from vertex_tuning.resources.inputs import failure_from_pydantic

        return failure_from_pydantic(err, self.inputs(), self.kind, self.missing_hints)


@dataclass
class Draft:
    """One check's inputs while they are derived: `values` and `failures` are the prepare
    hook's to change."""

    olds: Mapping[str, Any]
    values: dict[str, Any]
    unknown: frozenset[str]
    failures: list[Failure]


@dataclass(frozen=True)
class Failure:
    """One rule broken by one input: `property` is a top-level input, `reason` says the rule.

    Pulumi prints "property P value {V} has a problem: REASON", reading V from the top-level
    inputs, so a nested field is named at the start of the reason: "cases[1].contains[0]: ...".
    """

    property: str
    reason: str


def property_path(loc: list[Any]) -> str:
    """`["cases", 1, "contains", 0]` -> `cases[1].contains[0]`."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def _stamp(raw: Mapping[str, Any], defaults: Mapping[str, Any]) -> str:
    """What a check's result follows from: the raw inputs, the defaults and the release.

    Check is a pure function of these (and of olds only where an unset input keeps its old
    value, which the stored inputs then already hold), so when the stamp stored with the old
    inputs matches, they are what check would return, and `pulumi preview` of an unchanged
    resource skips validation (pydantic alone takes longer to import than the rest).
    """
    payload = json.dumps([raw, defaults, __version__], sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


def _same_stamp(olds: Mapping[str, Any], news: Mapping[str, Any]) -> bool:
    """Checked from the same inputs as the state's (refresh and import store none), same code."""
    stamp = news.get(STAMP_KEY)
    return (
        stamp is not None
        and olds.get(STAMP_KEY) == stamp
        and olds.get(PROVIDER_KEY) == news.get(PROVIDER_KEY)
    )


_EMPTY: tuple[Any, ...] = (None, "", {}, [])


def differs(old: Any, new: Any) -> bool:
    """Whether an input changed: unknown always does; numbers by value; empty is empty."""
    if is_unknown(new):
        return True
    if isinstance(old, int | float) and isinstance(new, int | float):
        return float(old) != float(new)
    if old in _EMPTY and new in _EMPTY:
        return False
    return bool(old != new)


def without_none(values: Mapping[str, Any]) -> dict[str, Any]:
    """Properties without the unset ones (Pulumi shows None outputs as unknown)."""
    return {k: v for k, v in values.items() if v is not None}


def is_unknown(value: Any) -> bool:
    """True for a value `pulumi preview` cannot know yet (another resource's output)."""
    unknown_class, unknown_string = pulumi_compat.unknown_sentinels()
    if isinstance(value, unknown_class) or value == unknown_string:
        return True
    if isinstance(value, dict):
        return any(is_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(is_unknown(v) for v in value)
    return False


def say(line: str) -> None:
    """Print a line to the stack's log (`pulumi up` output, Automation API on_output).

    One write per line: creates run on many threads, and print() writes the newline separately,
    so another job's line could land in between and the two reach the engine as one.
    """
    sys.stdout.write(f"{line}\n")
    sys.stdout.flush()


def resource_props(inputs: Mapping[str, Any], outputs: type[Outputs]) -> dict[str, Any]:
    """The property bag a `pulumi.dynamic.Resource` is constructed with: every input as given
    and every output as None (so the SDK declares it an output)."""
    return {**inputs, **dict.fromkeys(outputs.names())}


class DynamicResource(Resource):
    """`pulumi.dynamic.Resource`, minus the SDK's leak: declaring one leaves pickle as it was
    (see pulumi_compat.unnested_pickler), so a process may declare any number."""

    def __init__(
        self,
        provider: ResourceProvider,
        name: str,
        props: Mapping[str, Any],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        with pulumi_compat.unnested_pickler():
            super().__init__(provider, name, dict(props), opts)
