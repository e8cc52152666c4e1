"""The course's dated price list (``data/prices.yaml``), read through one typed reader.

Each hosted model has its input, cached-input, cache-write and output prices (USD per million
tokens), whether it bills reasoning tokens, the page the prices were read on, whether that page
was the vendor's own or a copy, and the day they were read. `tune_or_prompt.measure.costs` builds its
`Prices` from this file; `price_rows` and `serving_rows` are the tables the lessons show.

>>> from tune_or_prompt.ground.prices import PRICE_LIST
>>> PRICE_LIST.by_role("small API").name
'Claude Haiku 5.5'
"""

from __future__ import annotations

import datetime as dt
import functools
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator, model_validator

ROLES = ("small API", "frontier API", "open 1-8B", "fine-tuned API")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Sourced(_Strict):
    """Where and when a value was read. ``stale`` says why a value older than the file's
    ``max_age_days`` is kept."""

    source: HttpUrl
    source_kind: Literal["vendor", "copy"]
    vendor_page: HttpUrl | None = None  # for a copy: the vendor page it copies
    checked: dt.date
    stale: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _copy_names_vendor(self) -> Sourced:
        if self.source_kind == "copy" and self.vendor_page is None:
            raise ValueError("a price read in a copy must name the vendor_page it copies")
        return self


class ModelPrice(Sourced):
    """One hosted model's token prices, USD per million tokens."""

    key: str
    name: str
    vendor: str
    role: Literal["small API", "frontier API", "open 1-8B", "fine-tuned API"] | None = None
    input: float = Field(ge=0)
    cached_input: float | None = Field(default=None, ge=0)  # None: no prompt cache
    cache_write: float | None = Field(default=None, ge=0)  # None: writes cost the input price
    output: float = Field(ge=0)
    training: float | None = Field(default=None, ge=0)  # per million training tokens
    bills_reasoning: bool
    cache_min_tokens: int | None = Field(default=None, ge=0)  # None: not found

    @property
    def cached_share(self) -> float:
        """Cached input as a share of the input price (1.0 without a cache)."""
        return 1.0 if self.cached_input is None or not self.input else (
            self.cached_input / self.input)

    @property
    def write_share(self) -> float:
        """A cache write as a share of the input price (1.0: no premium)."""
        return 1.0 if self.cache_write is None or not self.input else (
            self.cache_write / self.input)


class ServingPrice(Sourced):
    """A price of a machine or function you rent to serve a model yourself."""

    key: str
    name: str
    value: float = Field(ge=0)
    unit: str


class BatchDiscount(Sourced):
    share: float = Field(gt=0, le=1)


class Assumptions(_Strict):
    """The course's assumptions (not prices): change them to match your traffic."""

    reasoning_tokens_per_answer: float = Field(ge=0)
    requests_per_cache_write: float = Field(ge=1)
    usd_per_label: float = Field(ge=0)


class PriceList(_Strict):
    """The whole file: its date, the longest a price may go unchecked, and every entry."""

    checked: dt.date
    max_age_days: int = Field(gt=0)
    models: list[ModelPrice]
    batch: BatchDiscount
    serving: list[ServingPrice]
    assumptions: Assumptions

    @field_validator("models")
    @classmethod
    def _one_per_role(cls, models: list[ModelPrice]) -> list[ModelPrice]:
        keys = [m.key for m in models]
        if len(set(keys)) != len(keys):
            raise ValueError(f"model keys repeat: {sorted(k for k in keys if keys.count(k) > 1)}")
        for role in ROLES:
            if sum(m.role == role for m in models) != 1:
                raise ValueError(f"exactly one model must have role {role!r}")
        return models

    @model_validator(mode="after")
    def _dated(self) -> PriceList:
        for entry in self.entries():
            age = (self.checked - entry.checked).days
            label = getattr(entry, "key", "batch")
            if age < 0:
                raise ValueError(f"{label}: checked {entry.checked} is after the file's own date "
                                 f"{self.checked}")
            if age > self.max_age_days and not entry.stale:
                raise ValueError(f"{label}: read {age} days before {self.checked} (more than "
                                 f"{self.max_age_days}) without a 'stale' note saying why")
        return self

    def entries(self) -> list[Sourced]:
        """Every dated entry: models, the batch discount, serving prices."""
        return [*self.models, self.batch, *self.serving]

    def by_role(self, role: str) -> ModelPrice:
        """The model the lessons compute with for ``role`` (see `ROLES`)."""
        for model in self.models:
            if model.role == role:
                return model
        raise KeyError(f"no model has role {role!r}: roles are {', '.join(ROLES)}")

    def serving_value(self, key: str) -> float:
        for entry in self.serving:
            if entry.key == key:
                return entry.value
        raise KeyError(f"no serving price {key!r}")

    def checked_text(self, role: str | None = None) -> str:
        """'prices checked on DATE' for one role's model, or for the file as a whole."""
        day = self.by_role(role).checked if role else self.checked
        return f"prices checked on {day:%-d %B %Y}"


def read(path: str | Path | None = None) -> PriceList:
    """Read and check a price file (default: the one bundled with the package)."""
    import yaml

    if path is None:
        text = resources.files("tune_or_prompt.ground.data").joinpath("prices.yaml").read_text("utf-8")
    else:
        text = Path(path).read_text(encoding="utf-8")
    return PriceList.model_validate(yaml.safe_load(text))


@functools.cache
def _bundled() -> PriceList:
    return read()


PRICE_LIST = _bundled()


def price_rows(prices: PriceList = PRICE_LIST) -> list[dict[str, Any]]:
    """One row per hosted model, in words a reader understands."""
    def usd(value: float | None) -> str:
        return "—" if value is None else _dollars(value)

    return [{"model": m.name, "vendor": m.vendor, "used as": m.role or "",
             "per million input tokens": usd(m.input),
             "cached input": usd(m.cached_input),
             "cache write (where charged)": usd(m.cache_write),
             "per million output tokens": usd(m.output),
             "bills reasoning tokens": "yes" if m.bills_reasoning else "no",
             **_dated(m, prices)} for m in prices.models]


def serving_rows(prices: PriceList = PRICE_LIST) -> list[dict[str, Any]]:
    """One row per serving price, in words."""
    return [{"what": s.name,
             "price": (_dollars(s.value) + s.unit.removeprefix("USD") if s.unit.startswith("USD")
                       else f"{s.value:,.10g} {s.unit}"),
             **_dated(s, prices)} for s in prices.serving]


def _dollars(value: float) -> str:
    """$0.10, $12.50, $0.075, $0.0000166667: cents always, more digits only where needed."""
    text = f"{value:,.10f}".rstrip("0")
    places = max(2, len(text.split(".")[1]))
    return f"${value:,.{places}f}"


def _dated(entry: Sourced, prices: PriceList) -> dict[str, str]:
    """When and where an entry was read, and whether it is older than the file allows."""
    old = (prices.checked - entry.checked).days > prices.max_age_days
    return {"checked on": f"{entry.checked:%-d %b %Y}" + (" (old: see note)" if old else ""),
            "read on": "vendor's page" if entry.source_kind == "vendor" else "a copy",
            "source": str(entry.source)}
