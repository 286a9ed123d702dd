"""The search space of ``seqnet tune``: ranges and choices over recipe keys, in YAML.

A space file is laid out like a recipe (``train``, ``model_args``, ``model``); each value
says what the search may try::

    train:
      lr: {low: 1.0e-4, high: 1.0e-2, log: true}   # a float range (log scale)
      batch_size: [64, 128, 256]                   # choices
      optimizer: [adam, sgd]
      epochs: 15                                    # a plain value: every trial uses it
    model_args:
      dropout: {low: 0.0, high: 0.6}
      n_filters: {low: 64, high: 256, step: 32}    # an integer range (both ends integers)

``model`` is a list of model names, or a mapping of model names to the space searched
when that model is chosen (its own ``model_args`` / ``train`` keys)::

    model:
      deepbind: {model_args: {n_filters: [64, 128, 256]}}
      dilated: {model_args: {channels: [32, 64]}}

Choices may be lists (``n_filters: [[64, 64], [128, 128]]``).  Data settings, the seed
and the device are not searched: they fix the data and its splits, which every trial
shares with ``seqnet train``.  Every key and value is checked when the file is read
(ConfigError naming the file, the line and the key).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from seqnet.errors import ConfigError

#: Keys of a range.
RANGE_KEYS = ("low", "high", "log", "step")
#: Sections a space may search.
SECTIONS = ("train", "model_args")


@dataclass(frozen=True)
class Param:
    """One searched setting.

    Attributes
    ----------
    name : str
        Optuna's parameter name: ``"train.lr"``, or ``"dilated.model_args.channels"``
        for a setting searched only when that model is chosen.
    section, key : str
        Where it goes in the recipe (``"train"`` / ``"model_args"``, then the key).
    kind : str
        ``"choice"``, ``"int"`` or ``"float"``.
    choices : tuple
        The choices (``"choice"``).
    low, high : int or float or None
        The range's ends, both included (``"int"``, ``"float"``).
    log : bool
        Sample the range on a log scale.
    step : int or float or None
        Grid step of the range.
    model : str or None
        Searched only when this model is chosen.
    """

    name: str
    section: str
    key: str
    kind: str
    choices: tuple = ()
    low: float | None = None
    high: float | None = None
    log: bool = False
    step: float | None = None
    model: str | None = None

    def suggest(self, trial):
        """This setting's value for an Optuna ``trial``."""
        if self.kind == "int":
            return trial.suggest_int(self.name, self.low, self.high, step=self.step or 1, log=self.log)
        if self.kind == "float":
            return trial.suggest_float(self.name, self.low, self.high, step=self.step, log=self.log)
        # Optuna's choices are plain scalars: list-valued choices travel as JSON text.
        coded = [_encode(c) for c in self.choices]
        return _decode(trial.suggest_categorical(self.name, coded))


def _encode(value):
    return json.dumps(value) if isinstance(value, (list, dict)) else value


def _decode(value):
    return json.loads(value) if isinstance(value, str) and value[:1] in "[{" else value


@dataclass
class SearchSpace:
    """A parsed, checked search space (see the module docstring).

    Attributes
    ----------
    source : str
        The file, for messages.
    models : tuple of str or None
        The models to choose from; None keeps the recipe's model.
    params : list of Param
        The searched settings.
    fixed : dict
        Model name (or None: every model) -> nested plain values every trial uses.
    document : dict
        The file as read (recorded with the study).
    """

    source: str
    models: tuple[str, ...] | None
    params: list[Param] = field(default_factory=list)
    fixed: dict = field(default_factory=dict)
    document: dict = field(default_factory=dict)

    def suggest(self, trial) -> tuple[str | None, dict]:
        """The model (None: the recipe's) and the nested recipe values of one trial."""
        model = trial.suggest_categorical("model", list(self.models)) if self.models else None
        values: dict = {}
        for scope in (None, model):
            for section, entries in self.fixed.get(scope, {}).items():
                values.setdefault(section, {}).update(entries)
        for p in self.params:
            if p.model is None or p.model == model:
                values.setdefault(p.section, {})[p.key] = p.suggest(trial)
        return model, values

    def keys(self) -> set[tuple[str, str]]:
        """Every ``(section, key)`` the space sets, searched or fixed."""
        found = {(p.section, p.key) for p in self.params}
        for entries in self.fixed.values():
            found |= {(section, key) for section, keys in entries.items() for key in keys}
        return found

    def values_of(self, params: dict) -> tuple[str | None, dict]:
        """Model and nested recipe values of a finished trial's Optuna ``params``."""
        model = params.get("model") if self.models else None
        values: dict = {}
        for scope in (None, model):
            for section, entries in self.fixed.get(scope, {}).items():
                values.setdefault(section, {}).update(entries)
        for p in self.params:
            if p.name in params:
                values.setdefault(p.section, {})[p.key] = _decode(params[p.name])
        return model, values


def read_space(path: str | Path, kind: str, model: str) -> SearchSpace:
    """Read and check a search space file.

    Parameters
    ----------
    path : path
        The YAML file.
    kind : str
        Input kind of the data (the models are this kind's).
    model : str
        The recipe's model, searched over when the space does not choose models.

    Returns
    -------
    SearchSpace

    Raises
    ------
    ConfigError
        For a missing or unparsable file, an unknown key, an empty range or choice
        list, or a value the setting does not take (naming the file, line and key).
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: no such search space file")
    try:
        text = path.read_bytes().decode("utf-8")
        doc = yaml.safe_load(text)
        lines = _key_lines(text)
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: byte {exc.start + 1}: not UTF-8 text; expected a YAML file") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ConfigError(f"{path}: {f'line {mark.line + 1}: ' if mark else ''}not valid YAML") from None
    if not isinstance(doc, dict) or not doc:
        raise ConfigError(f"{path}: expected a mapping of recipe sections (train, model_args, model) to search")
    return _Parser(str(path), lines, kind).parse(doc, model)


def _key_lines(text: str) -> dict[tuple[str, ...], int]:
    """Line (1-based) of every mapping key of a YAML document, by its key path."""
    found: dict[tuple[str, ...], int] = {}

    def walk(node, prefix: tuple[str, ...]) -> None:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                where = prefix + (str(key.value),)
                found[where] = key.start_mark.line + 1
                walk(value, where)

    walk(yaml.compose(text), ())
    return found


class _Parser:
    """Turns a space document into a :class:`SearchSpace`, checking as it goes."""

    def __init__(self, source: str, lines: dict, kind: str) -> None:
        self.source, self.lines, self.kind = source, lines, kind

    def fail(self, path: tuple[str, ...], message: str) -> ConfigError:
        line = self.lines.get(path)
        where = f"line {line}: " if line else ""
        return ConfigError(f"{self.source}: {where}{'.'.join(path)}: {message}")

    def parse(self, doc: dict, recipe_model: str) -> SearchSpace:
        from seqnet.models import registry

        models = registry(self.kind)
        space = SearchSpace(self.source, None, document=doc)
        for top in doc:
            if top in ("data", "seed", "device", "kind", "inputs"):
                raise self.fail((top,), "not searched: data settings, the seed and the device fix the data and its "
                                "splits; set them with the command's options or --config")
            if top not in (*SECTIONS, "model"):
                raise self.fail((top,), "unknown key; expected train, model_args or model")
        choice = doc.get("model")
        if isinstance(choice, list) and choice and all(isinstance(m, str) for m in choice):
            choice = {m: None for m in choice}
        if choice is not None and not (isinstance(choice, dict) and choice):
            raise self.fail(("model",), "expected a list of model names, or a mapping of model names to what is "
                            "searched with each")
        names = list(choice) if choice else [recipe_model]
        for name in names:
            if name not in models:
                raise self.fail(("model", str(name)), f"unknown model for {self.kind} input; expected one of "
                                f"{', '.join(sorted(models))}")
        space.models = tuple(names) if choice else None
        paths: dict = {}
        self.sections(space, {k: v for k, v in doc.items() if k in SECTIONS}, (), names, None, paths)
        for name, sub in (choice or {}).items():
            if sub is None:
                continue
            if not isinstance(sub, dict) or set(sub) - set(SECTIONS):
                raise self.fail(("model", name), "expected a mapping of train / model_args settings searched with "
                                "this model")
            self.sections(space, sub, ("model", name), [name], name, paths)
        for name in names:
            self.check_values(space, name, paths)
        return space

    def sections(self, space: SearchSpace, doc: dict, prefix: tuple, models: list[str], scope: str | None,
                 paths: dict) -> None:
        """Collect the settings of ``doc`` (searched into ``space.params``, plain ones into
        ``space.fixed``), checking their keys; ``paths`` gets where each was written."""
        for section, entries in doc.items():
            if not isinstance(entries, dict):
                raise self.fail(prefix + (section,), "expected a mapping of settings")
            for key, value in entries.items():
                path = prefix + (section, str(key))
                self.check_key(section, key, path, models)
                paths[(scope, section, key)] = path
                name = ".".join(([scope] if scope else []) + [section, str(key)])
                param = self.param(name, section, key, value, path, scope)
                if param is None:
                    space.fixed.setdefault(scope, {}).setdefault(section, {})[key] = value
                else:
                    space.params.append(param)

    def check_values(self, space: SearchSpace, model: str, paths: dict) -> None:
        """Every value a trial with ``model`` may take, each next to the other settings'
        plain values and first choices (a value may only make sense with another: a
        list of 2 filter counts needs 2 dropout rates)."""
        entries: dict = {}  # (scope, section, key) -> candidate values
        for scope in (None, model):
            for section, fixed in space.fixed.get(scope, {}).items():
                entries.update({(scope, section, k): (v,) for k, v in fixed.items()})
        for p in space.params:
            if p.model in (None, model):
                entries[(p.model, p.section, p.key)] = p.choices if p.kind == "choice" else (p.low, p.high)
        usual = {(section, key): values[0] for (_, section, key), values in entries.items()}
        for (scope, section, key), values in entries.items():
            args = {k: v for (sec, k), v in usual.items() if sec == "model_args"}
            for value in values:
                self.check_value(section, key, value, {**args, key: value}, paths[(scope, section, key)], model)

    def check_key(self, section: str, key, path: tuple, models: list[str]) -> None:
        from seqnet.config import SCHEMA
        from seqnet.models import registry
        from seqnet.models.spec import INPUT_ARGS

        if section == "train":
            if key not in SCHEMA["train"]:
                raise self.fail(path, f"unknown key; expected one of {', '.join(sorted(SCHEMA['train']))}")
            return
        for model in models:
            allowed = [a for a in registry(self.kind)[model].arguments() if a not in INPUT_ARGS]
            if key not in allowed:
                raise self.fail(path, f"not an argument of model {model!r}; expected one of {', '.join(allowed)}")

    def check_value(self, section: str, key: str, value, args: dict, path: tuple, model: str) -> None:
        """ConfigError at ``path`` unless ``value`` is valid for ``section.key`` (model
        arguments checked together with ``args``)."""
        from seqnet import config as config_mod
        from seqnet.kinds import get
        from seqnet.models import check_model_args

        try:
            if section == "train":
                config_mod.check_train_value(key, value)
            else:
                shape = get(self.kind).nominal_shape_args(length=1000, alphabet="dna")
                check_model_args(model, self.kind, args, shape)
        except ConfigError as exc:
            raise self.fail(path, str(exc)) from None

    def param(self, name: str, section: str, key: str, value, path: tuple, scope: str | None) -> Param | None:
        """The searched setting ``value`` describes, or None for a plain value."""
        if isinstance(value, list):
            if not value:
                raise self.fail(path, "no choices (an empty list)")
            return Param(name, section, key, "choice", choices=tuple(value), model=scope)
        if not isinstance(value, dict):
            return None
        stray = sorted(set(value) - set(RANGE_KEYS))
        if stray or "low" not in value or "high" not in value:
            raise self.fail(path, f"a range is {{low: L, high: H}} with optional log: true or step: S; got "
                            f"{', '.join(map(str, stray)) or 'no low / high'}")
        low, high, log, step = value["low"], value["high"], value.get("log", False), value.get("step")
        if not all(_is_num(v) for v in (low, high)) or (step is not None and not _is_num(step)):
            raise self.fail(path, f"low, high and step must be numbers, got {low!r}, {high!r}, {step!r}")
        if low > high:
            raise self.fail(path, f"empty range: low {low} > high {high}")
        if not isinstance(log, bool):
            raise self.fail(path, f"log must be true or false, got {log!r}")
        if log and (low <= 0 or step is not None):
            raise self.fail(path, "a log range needs low > 0 and no step")
        if step is not None and step <= 0:
            raise self.fail(path, f"step must be > 0, got {step}")
        integer = all(isinstance(v, int) for v in (low, high)) and (step is None or isinstance(step, int))
        return Param(name, section, key, "int" if integer else "float", low=low if integer else float(low),
                     high=high if integer else float(high), log=log, step=step, model=scope)


def _is_num(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)
