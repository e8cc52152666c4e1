"""Sentence embeddings from the encoder (mean pooling), for similarity before any fine-tuning."""

from __future__ import annotations

from collections.abc import Sequence

from .models import LoadedModel


def embed(loaded: LoadedModel, texts: Sequence[str], batch_size: int = 32,
          max_length: int = 128):
    """Unit-length mean-pooled embeddings, shape (len(texts), hidden size), as a torch tensor.

    Texts are batched in order of length, so little compute goes to padding."""
    import torch

    encoder = loaded.model.base_model
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out = torch.zeros((len(texts), encoder.config.hidden_size))
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            index = order[start:start + batch_size]
            batch = loaded.tokenizer([texts[i] for i in index], padding=True, truncation=True,
                                     max_length=max_length, return_tensors="pt")
            hidden = encoder(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).float()
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            out[index] = torch.nn.functional.normalize(pooled, dim=-1)
    return out


def nearest_label(loaded: LoadedModel, text: str, examples: Sequence[tuple[str, str]]) -> str:
    """The label of the labelled example most similar to ``text`` (cosine similarity)."""
    vectors = embed(loaded, [text, *[t for t, _ in examples]])
    similarity = vectors[1:] @ vectors[0]
    return examples[int(similarity.argmax())][1]
