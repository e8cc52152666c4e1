"""Advanced: LoRA fine-tuning of the generative model (SmolLM2) on prompt -> label pairs.

The encoder route (`tune_or_prompt.approaches.finetuning`) adds a classification head. This is the other
route, the one hosted fine-tuning services use: the training data is a JSONL file of
``{"prompt": ..., "completion": ...}`` pairs, the model learns to continue each prompt with its
label word, and only small LoRA adapters train. The loss counts only the completion tokens.
Defaults are small so it runs on a laptop CPU; on a GPU (e.g. Colab) raise ``train_size`` and
``epochs``.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tune_or_prompt.ground.compat import training_arguments
from tune_or_prompt.ground.data import load
from tune_or_prompt.ground.models import LoadedModel, load_generative, quiet_transformers
from tune_or_prompt.ground.records import read_records, write_records
from tune_or_prompt.ground.registry import TARGETS, balanced_sample

from .finetuning import count_parameters
from .prompting import plain_prompt


def pairs(target: str, rows: Sequence[dict[str, Any]],
          describe: bool = False) -> list[dict[str, str]]:
    """Prompt -> completion pairs: the zero-shot prompt of ``target`` and the label word."""
    task = TARGETS[target]
    return [{"prompt": plain_prompt(task, [], row["text"], describe),
             "completion": " " + task.answers[task.gold(row)]} for row in rows]


def write_jsonl(records: Iterable[dict[str, Any]], path: str | Path) -> Path:
    """One JSON object per line (UTF-8): the format fine-tuning services and tools expect."""
    write_records(path, records)
    return Path(path)


def read_pairs(path: str | Path) -> list[dict[str, str]]:
    """Read prompt/completion pairs, naming the file and line of any malformed one."""
    return read_records(path, required=("prompt", "completion"))


@dataclass
class LLMTuneResult:
    """A LoRA-adapted generative model and what it took."""

    target: str
    loaded: LoadedModel  # the adapted model, usable with tune_or_prompt.approaches.prompting
    peft_model: Any  # the same weights wrapped by PEFT (what `save_adapter` writes)
    train_size: int
    epochs: int
    history: list[dict[str, float]] = field(default_factory=list)  # training loss per epoch
    train_seconds: float = 0.0
    trainable_parameters: int = 0
    total_parameters: int = 0


def _features(tokenizer, pair: dict[str, str], max_length: int) -> dict[str, list[int]]:
    prompt = tokenizer(pair["prompt"], add_special_tokens=False)["input_ids"]
    answer = tokenizer(pair["completion"], add_special_tokens=False)["input_ids"]
    prompt = prompt[-(max_length - len(answer)):]  # keep the end: the query and "Answer:"
    return {"input_ids": prompt + answer, "labels": [-100] * len(prompt) + answer}


def lora_llm(target: str = "intent", train_size: int = 48, epochs: int = 2, seed: int = 0,
             learning_rate: float = 2e-3, lora_r: int = 8, batch_size: int = 8,
             max_length: int = 96, train_pairs: Sequence[dict[str, str]] | None = None,
             progress: bool = True) -> LLMTuneResult:
    """LoRA-tune a fresh copy of the generative model on ``train_size`` class-balanced training
    examples of ``target`` (or on ``train_pairs``, e.g. read from JSONL)."""
    import torch
    from peft import LoraConfig, TaskType, get_peft_model
    from transformers import Trainer, set_seed

    set_seed(seed)
    if train_pairs is None:
        rows = balanced_sample(load(TARGETS[target].dataset, "train"), target, train_size, seed)
        train_pairs = pairs(target, rows)
    loaded = load_generative(fresh=True)
    tokenizer = loaded.tokenizer
    model = get_peft_model(loaded.model, LoraConfig(
        task_type=TaskType.CAUSAL_LM, r=lora_r, lora_alpha=2 * lora_r, lora_dropout=0.0,
        target_modules=["q_proj", "v_proj"]))
    trainable, total = count_parameters(model)
    features = [_features(tokenizer, p, max_length) for p in train_pairs]
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0

    def collate(batch: list[dict[str, list[int]]]) -> dict[str, Any]:
        width = max(len(b["input_ids"]) for b in batch)
        return {  # left-padded, so every example ends at the same position
            "input_ids": torch.tensor([[pad] * (width - len(b["input_ids"])) + b["input_ids"]
                                       for b in batch]),
            "attention_mask": torch.tensor([[0] * (width - len(b["input_ids"]))
                                            + [1] * len(b["input_ids"]) for b in batch]),
            "labels": torch.tensor([[-100] * (width - len(b["labels"])) + b["labels"]
                                    for b in batch])}

    with tempfile.TemporaryDirectory() as out_dir, quiet_transformers():
        args = training_arguments(
            output_dir=out_dir, num_train_epochs=epochs, learning_rate=learning_rate,
            per_device_train_batch_size=batch_size, logging_strategy="epoch",
            save_strategy="no", report_to=[], seed=seed, data_seed=seed,
            disable_tqdm=not progress, use_cpu=not torch.cuda.is_available(),
            remove_unused_columns=False, dataloader_num_workers=0, warmup_ratio=0.1)
        trainer = Trainer(model=model, args=args, train_dataset=features, data_collator=collate)
        if not progress:
            from transformers.trainer_callback import PrinterCallback, ProgressCallback

            trainer.remove_callback(PrinterCallback)
            trainer.remove_callback(ProgressCallback)
        start = time.perf_counter()
        trainer.train()
        seconds = time.perf_counter() - start
    history = [{"epoch": round(float(e["epoch"])), "train_loss": float(e["loss"])}
               for e in trainer.state.log_history if "loss" in e]
    model.eval()
    # The base model with the adapters injected: the plain causal-LM interface prompting uses.
    adapted = LoadedModel(loaded.spec, loaded.source, loaded.location, tokenizer,
                          model.get_base_model())
    return LLMTuneResult(target, adapted, model, len(train_pairs), epochs, history, seconds,
                         trainable, total)


def loss_settling(history: Sequence[dict[str, float]], tolerance: float = 0.1) -> dict[str, Any]:
    """How far a training loss curve (one ``train_loss`` per epoch) is from settling: its
    ``first`` and ``last`` values, ``last_drop`` (how much the last epoch lowered it) and
    ``settled`` (the last epoch lowered it by less than ``tolerance`` of its previous value)."""
    if not history:
        raise ValueError("an empty training history")
    losses = [float(row["train_loss"]) for row in history]
    drop = losses[-2] - losses[-1] if len(losses) > 1 else float("nan")
    settled = len(losses) > 1 and drop < tolerance * losses[-2]
    return {"first": losses[0], "last": losses[-1], "last_drop": drop, "settled": settled}


def compare_counts(accuracy: float, other: float, n: int, other_name: str = "the best prompt",
                   unit: str = "ticket") -> str:
    """Two accuracies on the same ``n`` rows as a count of rows: "3 tickets more right than the
    best prompt", "1 ticket fewer ...", or "as many tickets right as ..."."""
    diff = round(accuracy * n) - round(other * n)
    if diff == 0:
        return f"as many {unit}s right as {other_name}"
    many = f"{abs(diff)} {unit}{'s' if abs(diff) != 1 else ''}"
    return f"{many} {'more' if diff > 0 else 'fewer'} right than {other_name}"


def save_adapter(result: LLMTuneResult, folder: str | Path) -> int:
    """Save only the LoRA adapter (written beside ``folder`` and renamed into place, so an older
    save stays whole until this one is complete); returns its size in bytes."""
    from tune_or_prompt.ground.files import atomic_dir

    folder = Path(folder)
    with atomic_dir(folder) as staging:
        result.peft_model.save_pretrained(staging)
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
