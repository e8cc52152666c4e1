"""What differs between the library versions the course supports, in one place.

The course runs on the oldest versions `pyproject.toml` allows (pinned and tested by
`make test-compat`, see requirements-compat.txt) and on the newest: Transformers 4.47 to 5.x
in particular, since Colab ships its own. Every branch on an installed version lives here; the
rest of the package calls these helpers. Nothing here imports Transformers or torch until a
helper needs it.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from importlib.metadata import version
from typing import Any


@functools.cache
def transformers_version() -> tuple[int, int]:
    """(major, minor) of the installed Transformers, read without importing it."""
    major, minor = version("transformers").split(".")[:2]
    return int(major), int("".join(c for c in minor if c.isdigit()) or 0)


# `transformers serve FOLDER` (what `tune-or-prompt serve` runs) serves and lists a local model
# folder from 5.24 on: 4.x and 5.0-5.4 take no folder, 5.5-5.23 start but serve no model ("no
# models"), and 5.16-5.23 also refuse torch < 2.5. Checked by hand (`make test-compat` runs no
# server).
SERVE_FROM = (5, 24)


def dtype_argument(dtype: Any) -> dict[str, Any]:
    """The keyword that sets ``from_pretrained``'s weight dtype: ``dtype`` from Transformers
    4.56 on (which deprecates ``torch_dtype``), ``torch_dtype`` before."""
    return {"dtype" if transformers_version() >= (4, 56) else "torch_dtype": dtype}


def training_arguments(*, warmup_ratio: float = 0.0, group_by_length: bool = False,
                       **kwargs: Any) -> Any:
    """``TrainingArguments(**kwargs)`` with warm-up as a share of the steps and, optionally,
    batches of similar lengths, each passed under the name the installed version takes:

    * warm-up: Transformers 5 reads a ``warmup_steps`` below 1 as a ratio and deprecates
      ``warmup_ratio`` (removed in 5.2); 4.x takes ``warmup_ratio`` (there a ``warmup_steps`` of
      0.1 would mean a first step at learning rate 0 and no warm-up after it).
    * length grouping: ``train_sampling_strategy="group_by_length"`` from 5.2 on, which removed
      the ``group_by_length=True`` of earlier versions.
    """
    from transformers import TrainingArguments

    if warmup_ratio:
        kwargs["warmup_steps" if transformers_version() >= (5, 0) else "warmup_ratio"] = (
            warmup_ratio)
    if group_by_length:
        fields = {f.name for f in dataclasses.fields(TrainingArguments)}
        if "train_sampling_strategy" in fields:
            kwargs["train_sampling_strategy"] = "group_by_length"
        else:
            kwargs["group_by_length"] = True
    return TrainingArguments(**kwargs)


def cache_argument(module: Any, cache: Any) -> dict[str, Any]:
    """The keyword that hands a key/value cache to ``module``'s forward pass: ``cache`` where
    the forward pass takes it (newer Transformers 5.x, which deprecates ``past_key_values``),
    ``past_key_values`` before."""
    name = ("cache" if "cache" in inspect.signature(module.forward).parameters
            else "past_key_values")
    return {name: cache}


def returned_cache(output: Any) -> Any:
    """The key/value cache a forward pass returned (``cache`` in newer Transformers 5.x,
    ``past_key_values`` before)."""
    cache = getattr(output, "cache", None)
    return cache if cache is not None else output.past_key_values


def new_cache() -> Any:
    """An empty key/value cache to pass to a first forward pass. Transformers 4.x returns the
    legacy tuple of tensors when given none, which cannot be copied per batch or cut back; an
    explicit ``DynamicCache`` comes back as the same object, filled, in every version."""
    from transformers import DynamicCache

    return DynamicCache()
