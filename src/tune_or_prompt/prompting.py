"""Prompting a generative model: chat prompts and classification by label scoring.

Small models often ignore "answer with one word", so instead of parsing free text we score each
label as a continuation of the prompt and pick the most likely one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .models import LoadedModel


def chat_prompt(loaded: LoadedModel, user: str, system: str | None = None,
                answer_prefix: str = "") -> str:
    """The model's chat template applied to one user turn, ready for the assistant's answer."""
    messages = ([{"role": "system", "content": system}] if system else []) + [
        {"role": "user", "content": user}
    ]
    text = loaded.tokenizer.apply_chat_template(messages, tokenize=False,
                                                add_generation_prompt=True)
    return text + answer_prefix


def label_logprobs(loaded: LoadedModel, prompt: str, labels: Sequence[str]) -> dict[str, float]:
    """Total log-probability of each label's tokens as the continuation of ``prompt``."""
    import torch

    tok, model = loaded.tokenizer, loaded.model
    prompt_ids = tok(prompt, add_special_tokens=False)["input_ids"]
    scores = {}
    with torch.inference_mode():
        for label in labels:
            label_ids = tok(label, add_special_tokens=False)["input_ids"]
            ids = torch.tensor([prompt_ids + label_ids])
            logprobs = torch.log_softmax(model(ids).logits[0, :-1].float(), dim=-1)
            positions = range(len(prompt_ids) - 1, len(prompt_ids) - 1 + len(label_ids))
            scores[label] = float(sum(logprobs[p, t] for p, t in zip(positions, label_ids, strict=True)))
    return scores


@dataclass(frozen=True)
class Prediction:
    label: str
    scores: dict[str, float]


def classify(loaded: LoadedModel, instruction: str, text: str, labels: Sequence[str]) -> Prediction:
    """Zero-shot classification of ``text`` by scoring each label after the instruction."""
    prompt = chat_prompt(loaded, f"{instruction}\n\nText: {text}")
    scores = label_logprobs(loaded, prompt, labels)
    return Prediction(max(scores, key=scores.__getitem__), scores)
