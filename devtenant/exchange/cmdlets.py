"""Cmdlet catalog (from the Exchange Online docs) and PowerShell-like parameter binding for InvokeCommand."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from devtenant.exchange.errors import COMMAND_NOT_FOUND, CmdletError, parameter_binding

GENERIC_HASHTABLE = "#Exchange.GenericHashTable"


@dataclass(frozen=True)
class ParameterSpec:
    name: str
    type: str
    is_switch: bool
    aliases: tuple[str, ...]
    documented_values: tuple[str, ...]
    open_list: bool

    @property
    def multi_valued(self) -> bool:
        return "[]" in self.type or "MultiValued" in self.type

    @property
    def identity_like(self) -> bool:
        return self.type.endswith("IdParameter")


@dataclass(frozen=True)
class ParameterSetSpec:
    name: str
    is_default: bool
    parameters: frozenset[str]
    mandatory: tuple[str, ...]


@dataclass(frozen=True)
class CmdletSpec:
    """One cmdlet as Exchange Online exposes it: only parameters documented as applicable to Exchange Online."""

    name: str
    parameters: dict[str, ParameterSpec]  # lower-case name or alias → spec
    parameter_sets: tuple[ParameterSetSpec, ...]
    common_parameters: frozenset[str]  # lower-case

    def lookup(self, given: str) -> ParameterSpec | None:
        return self.parameters.get(given.lower())


class CmdletCatalog:
    """Every cmdlet the reference documents, by case-insensitive name."""

    def __init__(self, data: dict[str, Any]) -> None:
        common = frozenset(p.lower() for p in data["common_parameters"])
        self._cmdlets: dict[str, CmdletSpec] = {}
        for entry in data["cmdlets"]:
            params: dict[str, ParameterSpec] = {}
            for name, raw in entry["parameters"].items():
                if not raw["exchange_online"]:
                    continue  # on-premises only: Exchange Online does not know the parameter at all
                spec = ParameterSpec(name, raw["type"], raw["is_switch"], tuple(raw.get("aliases", [])),
                                     tuple(raw.get("documented_values", [])),
                                     bool(raw.get("documented_values_open_list")))
                for key in (name, *spec.aliases):
                    params[key.lower()] = spec
            sets = tuple(
                ParameterSetSpec(s["name"], s["is_default_set"], frozenset(s["parameters"]), tuple(s["mandatory"]))
                for s in entry["parameter_sets"] if s["usable_in_exchange_online"])
            self._cmdlets[entry["cmdlet"].lower()] = CmdletSpec(entry["cmdlet"], params, sets, common)

    @classmethod
    def load(cls) -> CmdletCatalog:
        text = resources.files("devtenant").joinpath("data/exchange_cmdlets.json").read_text(encoding="utf-8")
        return cls(json.loads(text))

    def get(self, name: str) -> CmdletSpec | None:
        return self._cmdlets.get(name.lower())

    def names(self) -> list[str]:
        return sorted(spec.name for spec in self._cmdlets.values())


@dataclass
class BoundCall:
    """A cmdlet invocation after binding: canonical parameter names → converted values."""

    cmdlet: str
    params: dict[str, Any]
    parameter_set: str
    common: dict[str, Any] = field(default_factory=dict)

    def has(self, name: str) -> bool:
        return name in self.params

    def get(self, name: str, default: Any = None) -> Any:
        return self.params.get(name, default)

    def switch(self, name: str) -> bool:
        return bool(self.params.get(name, False))


def command_not_found(name: str) -> CmdletError:
    return CmdletError(COMMAND_NOT_FOUND,
                       f"The term '{name}' is not recognized as a name of a cmdlet, function, script file, or "
                       "executable program. Check the spelling of the name, or if a path was included, verify that "
                       "the path is correct and try again.")


def _convert(spec: ParameterSpec, value: Any) -> Any:
    def cannot(type_name: str) -> CmdletError:
        shown = "System.Object[]" if isinstance(value, list) else f"System.{type(value).__name__.capitalize()}"
        return parameter_binding(f"Cannot convert '{shown}' to the type '{type_name}' required by parameter "
                                 f"'{spec.name}'. Specified method is not supported.")

    if spec.is_switch or spec.type in ("Boolean", "System.Boolean", "$true | $false"):
        if not isinstance(value, bool):
            raise cannot("System.Management.Automation.SwitchParameter" if spec.is_switch else "System.Boolean")
        return value
    if spec.type.startswith("Unlimited"):
        if isinstance(value, bool) or not (isinstance(value, int) or
                                           (isinstance(value, str) and (value.isdigit() or
                                                                        value.lower() == "unlimited"))):
            raise parameter_binding(f"Cannot bind parameter '{spec.name}'. Cannot convert value \"{value}\" to type "
                                    f"\"Microsoft.Exchange.Data.Unlimited`1[System.UInt32]\". Error: \"'{value}' is "
                                    "not a valid value for Unlimited.\"")
        return None if str(value).lower() == "unlimited" else int(value)
    if isinstance(value, dict):
        if value.get("@odata.type") != GENERIC_HASHTABLE or not spec.multi_valued:
            raise cannot(spec.type)
        return {k.lower(): v for k, v in value.items() if not k.startswith("@")}
    if isinstance(value, list) and not spec.multi_valued:
        raise cannot(spec.type)
    if spec.documented_values and not spec.open_list:
        allowed = {v.lower(): v for v in spec.documented_values}
        values = value if isinstance(value, list) else [value]
        for item in values:
            if str(item).lower() not in allowed:
                raise parameter_binding(
                    f"Cannot bind parameter '{spec.name}'. Cannot convert value \"{item}\" to type "
                    f"\"{spec.type}\". Error: \"Unable to match the identifier name {item} to a valid enumerator "
                    f"name. Specify one of the following enumerator names and try again: "
                    f"{', '.join(spec.documented_values)}\"")
        canon = [allowed[str(v).lower()] for v in values]
        return canon if isinstance(value, list) else canon[0]
    return value


def bind(spec: CmdletSpec, parameters: Any) -> BoundCall:
    """Bind InvokeCommand `Parameters` to the cmdlet the way PowerShell would, or raise its binding error."""
    if parameters is None:
        parameters = {}
    if not isinstance(parameters, dict):
        raise parameter_binding("Parameters must be a JSON object of parameter names and values.")
    params: dict[str, Any] = {}
    common: dict[str, Any] = {}
    for given, value in parameters.items():
        if given.lower() in spec.common_parameters:
            common[given] = value
            continue
        param = spec.lookup(given)
        if param is None:
            raise parameter_binding(f"A parameter cannot be found that matches parameter name '{given}'.")
        if param.name in params:
            raise parameter_binding(
                f"Cannot bind parameter because parameter '{param.name}' is specified more than once. To provide "
                "multiple values to parameters that can accept multiple values, use the array syntax. For example, "
                '"-parameter value1,value2,value3".')
        params[param.name] = _convert(param, value)
    given_names = set(params)
    candidates = [s for s in spec.parameter_sets if given_names <= s.parameters]
    if not candidates:
        raise parameter_binding("Parameter set cannot be resolved using the specified named parameters. One or more "
                                "parameters issued cannot be used together or an insufficient number of parameters "
                                "were provided.")
    complete = [s for s in candidates if set(s.mandatory) <= given_names]
    if complete:
        chosen = next((s for s in complete if s.is_default), complete[0])
    else:
        closest = next((s for s in candidates if s.is_default), candidates[0])
        missing = [m for m in closest.mandatory if m not in given_names]
        raise parameter_binding("Cannot process command because of one or more missing mandatory parameters: "
                                f"{' '.join(missing)}.")
    return BoundCall(spec.name, params, chosen.name, common)
