"""Frozen dataclasses to JSON and back, driven by their type hints: the one codec of
conversation drafts. A field's annotation says how it is read (Decimal from a string,
a tuple from a list, a nested dataclass from an object, a Literal checked against its
values), so a new field needs no new decoding code."""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from decimal import Decimal
from functools import cache
from typing import Any, TypeVar

T = TypeVar("T")


def dumps(value: Any) -> str:
    return json.dumps(_plain(value), ensure_ascii=False)


def loads(cls: type[T], text: str) -> T:
    raw = json.loads(text)
    return typing.cast(T, _read(cls, raw, cls.__name__))


def read(cls: type[T], raw: Any) -> T:
    return typing.cast(T, _read(cls, raw, cls.__name__))


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"cannot store {type(value).__name__} in a draft")


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _read(kind: Any, raw: Any, where: str) -> Any:
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(kind)
        if raw is None and type(None) in options:
            return None
        errors = []
        for option in options:
            if option is type(None):
                continue
            try:
                return _read(option, raw, where)
            except (TypeError, ValueError) as exc:
                errors.append(str(exc))
        raise ValueError(f"{where}: {'; '.join(errors)}")
    if origin is typing.Literal:
        if raw not in typing.get_args(kind):
            raise ValueError(f"{where}: {raw!r} is not one of {typing.get_args(kind)}")
        return raw
    if origin is tuple:
        args = typing.get_args(kind)
        if not isinstance(raw, list):
            raise TypeError(f"{where}: expected a list")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_read(args[0], v, f"{where}[{i}]") for i, v in enumerate(raw))
        if len(args) != len(raw):
            raise ValueError(f"{where}: expected {len(args)} items")
        return tuple(_read(a, v, f"{where}[{i}]") for i, (a, v) in enumerate(zip(args, raw, strict=True)))
    if kind is Decimal:
        if isinstance(raw, bool) or not isinstance(raw, str | int | float):
            raise TypeError(f"{where}: expected a number")
        return Decimal(str(raw))
    if kind is bool:
        if not isinstance(raw, bool):
            raise TypeError(f"{where}: expected true or false")
        return raw
    if kind in (int, str):
        if not isinstance(raw, kind) or isinstance(raw, bool):
            raise TypeError(f"{where}: expected {kind.__name__}")
        return raw
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        if not isinstance(raw, dict):
            raise TypeError(f"{where}: expected an object")
        hints = _hints(kind)
        names = {f.name for f in dataclasses.fields(kind) if f.init}
        unknown = set(raw) - names
        if unknown:
            raise ValueError(f"{where}: unknown fields {sorted(unknown)}")
        return kind(**{k: _read(hints[k], v, f"{where}.{k}") for k, v in raw.items()})
    raise TypeError(f"{where}: no reader for {kind!r}")
