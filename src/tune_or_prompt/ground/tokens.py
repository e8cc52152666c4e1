"""Counting tokens, in one place: what a prompt costs is its tokens, and what fits in a
model's context or an encoder's length limit is counted the same way everywhere (prompting's
checks, the cost model, the lessons' figures).

`count` takes any tokenizer the course meets: a fast ``tokenizers.Tokenizer`` (read straight
from an embedded model's ``tokenizer.json``, no weights) or a transformers tokenizer (a
loaded model's). `TokenCounter` names the generative model whose tokenizer counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def count(tokenizer: Any, texts: Sequence[str]) -> list[int]:
    """Tokens in each text, special tokens not added (as prompts are counted)."""
    if hasattr(tokenizer, "encode_batch"):  # tokenizers.Tokenizer
        return [len(e.ids) for e in tokenizer.encode_batch(list(texts), add_special_tokens=False)]
    return [len(ids) for ids in tokenizer(list(texts), add_special_tokens=False)["input_ids"]]


def encoder_tokens(text: str, limit: int) -> int:
    """Tokens the embedded encoder reads for ``text``: [CLS], the text, [SEP], cut at ``limit``
    (the fine-tuning length limit)."""
    from .models import fast_tokenizer

    return min(len(fast_tokenizer("encoder").encode(text).ids), limit)


class TokenCounter:
    """Counts tokens with a generative model's tokenizer (default: the embedded SmolLM2-135M),
    without loading the model's weights: counting tokens is all the cost arithmetic needs.

    The embedded model's tokenizer is read straight from its ``tokenizer.json`` with the light
    ``tokenizers`` library; a hub model's goes through transformers."""

    def __init__(self, name: str | None = None, source: str | None = None):
        from .models import embedded_dir, fast_tokenizer, get_spec, quiet_transformers
        from .settings import model_source

        spec = get_spec(name, "generative")
        self.name = spec.name
        if model_source(source) == "hub":
            from transformers import AutoTokenizer

            with quiet_transformers():
                self._hf = AutoTokenizer.from_pretrained(spec.hub_id)
            self._fast = None
        else:
            embedded_dir(spec)  # a clear error for a model that is not embedded
            self._fast = fast_tokenizer("generative")  # the one embedded generative model
            self._hf = None

    def count(self, texts: Sequence[str]) -> list[int]:
        """Tokens in each text, special tokens not added (as the prompting code counts them)."""
        return count(self._fast if self._fast is not None else self._hf, texts)
