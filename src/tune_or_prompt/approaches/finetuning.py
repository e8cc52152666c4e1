"""Fine-tuning the embedded encoder (all-MiniLM-L6-v2) for classification with the Hugging Face
Trainer: class-balanced subsets, a per-epoch training trace, early stopping, class weights,
LoRA, saving and reloading, and latency measured the same way as for prompting.

``method="head"`` is the cheapest member of the family, "embeddings + a classifier": the encoder
stays frozen and a logistic regression learns from its sentence embeddings.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tune_or_prompt.ground.compat import training_arguments
from tune_or_prompt.ground.data import load
from tune_or_prompt.ground.models import load_encoder, quiet_transformers
from tune_or_prompt.ground.registry import Target, balanced_sample, label_of
from tune_or_prompt.ground.registry import target as target_of
from tune_or_prompt.ground.scores import classification_report, latency_summary

MAX_LENGTH = 64  # tokens; 90% of tickets are shorter, and longer ones state their point early


@dataclass
class FineTuneResult:
    """A fine-tuned classifier with what it took to make it."""

    target: str
    labels: tuple[str, ...]
    model: Any
    tokenizer: Any
    train_size: int
    epochs: int
    seed: int
    method: str
    history: list[dict[str, float]] = field(default_factory=list)  # one row per epoch
    train_seconds: float = 0.0  # the training steps alone (per-epoch validation excluded)
    eval_seconds: float = 0.0  # the per-epoch validation passes
    trainable_parameters: int = 0
    total_parameters: int = 0
    threshold: float | None = None  # for binary targets: P(positive class) needed to say it
    train_cpu_seconds: float = 0.0  # process CPU time of training (all cores), validation included
    train_ids: list[str] = field(default_factory=list)  # the labelled examples it learned from
    head: dict[str, Any] | None = None  # method "head": the classifier's weights (coef, intercept)

    def best_epoch(self) -> dict[str, float]:
        return min(self.history, key=lambda row: row["val_loss"]) if self.history else {}


def _encode(tokenizer, texts: Sequence[str]):
    return tokenizer(list(texts), truncation=True, max_length=MAX_LENGTH, padding=True,
                     return_tensors="pt")


def count_truncated(tokenizer, texts: Sequence[str]) -> int:
    """How many texts are longer than the ``MAX_LENGTH`` tokens the classifier reads."""
    lengths = tokenizer(list(texts), truncation=True, max_length=MAX_LENGTH + 1)["input_ids"]
    return sum(len(ids) > MAX_LENGTH for ids in lengths)


def _dataset(tokenizer, rows: Sequence[dict[str, Any]], target: str, labels: Sequence[str]):
    from datasets import Dataset

    index = {label: i for i, label in enumerate(labels)}
    # Tokenised up front rather than with Dataset.map, which spends about a second hashing the
    # tokenizer for its cache fingerprint on every call (and prints a progress bar).
    features = dict(tokenizer([r["text"] for r in rows], truncation=True, max_length=MAX_LENGTH))
    features["label"] = [index[label_of(r, target)] for r in rows]
    return Dataset.from_dict(features)


def count_parameters(model) -> tuple[int, int]:
    """(trainable, total) parameter counts."""
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return trainable, total


def lora_model(model, r: int):
    from peft import LoraConfig, TaskType, get_peft_model

    config = LoraConfig(task_type=TaskType.SEQ_CLS, r=r, lora_alpha=2 * r, lora_dropout=0.05,
                        target_modules=["query", "value"])
    return get_peft_model(model, config)


def finetune(target: str | Target = "intent", train_size: int | None = 200, epochs: int = 4,
             seed: int = 0, learning_rate: float = 3e-4, batch_size: int = 16,
             method: str = "full", lora_r: int = 8, class_weights: bool = False,
             early_stopping: int | None = None, train_rows: Sequence[dict] | None = None,
             val_rows: Sequence[dict] | None = None, model_name: str | None = None,
             progress: bool = True) -> FineTuneResult:
    """Fine-tune the encoder on ``train_size`` class-balanced training examples (None: all).

    Evaluates on the validation split after every epoch (the training trace). ``method`` is
    ``"full"`` (every weight trains) or ``"lora"`` (small adapters on the attention, plus the
    head). ``class_weights`` weighs the loss by inverse class frequency (for ``urgent``);
    ``early_stopping=N`` stops after N epochs without a better validation loss and keeps the
    best epoch.
    """
    import torch
    from transformers import (
        DataCollatorWithPadding,
        EarlyStoppingCallback,
        Trainer,
        set_seed,
    )

    spec = target_of(target)
    target = spec.name  # looked up once: the rest of the run reads the object or its name
    dataset_name, labels = spec.dataset, spec.labels
    pool = list(train_rows if train_rows is not None else load(dataset_name, "train"))
    rows = pool if train_size is None or train_size >= len(pool) else balanced_sample(
        pool, target, train_size, seed)
    val = list(val_rows if val_rows is not None else load(dataset_name, "validation"))
    set_seed(seed)
    loaded = load_encoder(model_name, labels=list(labels))
    model, tokenizer = loaded.model, loaded.tokenizer
    if method == "head":
        return _train_head(spec, loaded, rows, val, seed, class_weights)
    if method == "lora":
        model = lora_model(model, lora_r)
    elif method != "full":
        raise ValueError(f"method must be 'full', 'lora' or 'head', not {method!r}")
    trainable, total = count_parameters(model)

    weights = None
    if class_weights:
        counts = np.bincount([labels.index(label_of(r, target)) for r in rows],
                             minlength=len(labels)).astype(float)
        weights = torch.tensor(counts.sum() / (len(labels) * np.maximum(counts, 1)),
                               dtype=torch.float32)

    class WeightedTrainer(Trainer):
        def compute_loss(self, model, inputs, return_outputs=False, **kwargs):
            gold = inputs.pop("labels")
            outputs = model(**inputs)
            loss = torch.nn.functional.cross_entropy(outputs.logits, gold, weight=weights)
            return (loss, outputs) if return_outputs else loss

    def accuracy(prediction) -> dict[str, float]:
        return {"accuracy": float((prediction.predictions.argmax(-1)
                                   == prediction.label_ids).mean())}

    with tempfile.TemporaryDirectory() as out_dir, quiet_transformers():
        args = training_arguments(
            output_dir=out_dir, num_train_epochs=epochs, learning_rate=learning_rate,
            per_device_train_batch_size=batch_size, per_device_eval_batch_size=64,
            eval_strategy="epoch", logging_strategy="epoch",
            save_strategy="epoch" if early_stopping else "no", save_total_limit=1,
            load_best_model_at_end=bool(early_stopping), metric_for_best_model="eval_loss",
            greater_is_better=False, seed=seed, data_seed=seed, report_to=[],
            disable_tqdm=not progress, use_cpu=not torch.cuda.is_available(),
            warmup_ratio=0.1, weight_decay=0.01, save_only_model=True,
            dataloader_num_workers=0, group_by_length=True)
        trainer = WeightedTrainer(
            model=model, args=args, train_dataset=_dataset(tokenizer, rows, target, labels),
            eval_dataset=_dataset(tokenizer, val, target, labels),
            data_collator=DataCollatorWithPadding(tokenizer), compute_metrics=accuracy,
            callbacks=[EarlyStoppingCallback(early_stopping)] if early_stopping else [])
        if not progress:  # no per-epoch dict printouts either
            from transformers.trainer_callback import PrinterCallback, ProgressCallback

            trainer.remove_callback(PrinterCallback)
            trainer.remove_callback(ProgressCallback)
        start, cpu_start = time.perf_counter(), time.process_time()
        trainer.train()
        seconds = time.perf_counter() - start
        cpu_seconds = time.process_time() - cpu_start
        history = _history(trainer.state.log_history)
        eval_seconds = sum(float(e.get("eval_runtime", 0)) for e in trainer.state.log_history)
    model.eval()
    result = FineTuneResult(target, tuple(labels), model, tokenizer, len(rows), epochs, seed,
                            method, history, seconds - eval_seconds, eval_seconds, trainable,
                            total, train_cpu_seconds=cpu_seconds,
                            train_ids=[str(r["id"]) for r in rows])
    if spec.rare:
        result.threshold = 0.5
    return result


def _head_probabilities(head: dict[str, Any], vectors: np.ndarray, n_labels: int) -> np.ndarray:
    """A logistic regression's class probabilities from its weights (what scikit-learn's
    predict_proba computes: a sigmoid for two classes, a softmax for more)."""
    coef, intercept = np.asarray(head["coef"]), np.asarray(head["intercept"])
    logits = vectors @ coef.T + intercept
    if coef.shape[0] == 1:
        p = 1 / (1 + np.exp(-logits[:, 0]))
        seen = np.stack([1 - p, p], axis=1)
    else:
        z = np.exp(logits - logits.max(axis=1, keepdims=True))
        seen = z / z.sum(axis=1, keepdims=True)
    out = np.zeros((len(vectors), n_labels))
    out[:, head["classes"]] = seen
    return out


def _train_head(spec, loaded, rows: Sequence[dict[str, Any]], val: Sequence[dict[str, Any]],
                seed: int, class_weights: bool) -> FineTuneResult:
    """Embeddings + a classifier: the frozen encoder embeds every text once; a logistic
    regression learns the labels from those vectors (set-up: embedding plus fitting)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import log_loss

    from tune_or_prompt.ground.encoders import embed

    labels = spec.labels
    start, cpu_start = time.perf_counter(), time.process_time()
    vectors = embed(loaded, [r["text"] for r in rows]).numpy()
    y = np.array([labels.index(label_of(r, spec.name)) for r in rows])
    clf = LogisticRegression(max_iter=2000, C=10.0, random_state=seed,
                             class_weight="balanced" if class_weights else None)
    clf.fit(vectors, y)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    head = {"coef": clf.coef_.tolist(), "intercept": clf.intercept_.tolist(),
            "classes": [int(c) for c in clf.classes_]}
    eval_start = time.perf_counter()
    val_vectors = embed(loaded, [r["text"] for r in val]).numpy()
    val_y = np.array([labels.index(label_of(r, spec.name)) for r in val])
    train_p = _head_probabilities(head, vectors, len(labels))
    val_p = _head_probabilities(head, val_vectors, len(labels))
    history = [{"epoch": 1, "train_loss": float(log_loss(y, train_p, labels=range(len(labels)))),
                "val_loss": float(log_loss(val_y, val_p, labels=range(len(labels)))),
                "val_accuracy": float((val_p.argmax(1) == val_y).mean())}]
    trainable = clf.coef_.size + clf.intercept_.size
    result = FineTuneResult(spec.name, tuple(labels), loaded.model, loaded.tokenizer, len(rows),
                            1, seed, "head", history, seconds, time.perf_counter() - eval_start,
                            trainable, trainable + sum(p.numel() for p in
                                                       loaded.model.base_model.parameters()),
                            train_cpu_seconds=cpu_seconds,
                            train_ids=[str(r["id"]) for r in rows], head=head)
    if spec.rare:
        result.threshold = 0.5
    return result


def _history(log: list[dict[str, float]]) -> list[dict[str, float]]:
    """One row per epoch: training loss, validation loss and accuracy."""
    rows: dict[int, dict[str, float]] = {}
    for entry in log:
        epoch = round(entry.get("epoch", 0))
        row = rows.setdefault(epoch, {"epoch": epoch})
        if "loss" in entry:
            row["train_loss"] = float(entry["loss"])
        if "eval_loss" in entry:
            row["val_loss"] = float(entry["eval_loss"])
            row["val_accuracy"] = float(entry["eval_accuracy"])
    return [rows[e] for e in sorted(rows) if "val_loss" in rows[e]]


def probabilities(result: FineTuneResult, texts: Sequence[str], batch_size: int = 64):
    """Class probabilities, shape (len(texts), len(labels))."""
    import torch

    if result.head is not None:
        return _head_probabilities(result.head, _vectors(result, texts), len(result.labels))
    out = []
    with torch.inference_mode():
        for start in range(0, len(texts), batch_size):
            batch = _encode(result.tokenizer, texts[start:start + batch_size])
            out.append(torch.softmax(result.model(**batch).logits.float(), dim=-1).numpy())
    return np.concatenate(out) if out else np.zeros((0, len(result.labels)))


def _vectors(result: FineTuneResult, texts: Sequence[str]) -> np.ndarray:
    from tune_or_prompt.ground.encoders import embed
    from tune_or_prompt.ground.models import LoadedModel, get_spec

    loaded = LoadedModel(get_spec(None, "encoder"), "embedded", "", result.tokenizer, result.model)
    return embed(loaded, list(texts)).numpy()


def predict(result: FineTuneResult, texts: Sequence[str]) -> list[str]:
    """Predicted labels; binary targets use the result's threshold on the second class."""
    probs = probabilities(result, texts)
    if result.threshold is not None and len(result.labels) == 2:
        return [result.labels[int(p[1] >= result.threshold)] for p in probs]
    return [result.labels[int(i)] for i in probs.argmax(axis=1)]


def tune_threshold(result: FineTuneResult, rows: Sequence[dict[str, Any]],
                   min_recall: float = 0.8) -> float:
    """For a binary target: the highest threshold on P(second class) that still reaches
    ``min_recall`` on ``rows`` (use validation data, never the test set). Sets and returns it."""
    probs = probabilities(result, [r["text"] for r in rows])[:, 1]
    positive = np.array([label_of(r, result.target) == result.labels[1] for r in rows])
    best = 0.5
    for threshold in sorted(set(np.round(probs, 4)), reverse=True):
        if (probs[positive] >= threshold).mean() >= min_recall:
            best = float(threshold)
            break
    result.threshold = best
    return best


def evaluate(result: FineTuneResult, rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Quality on ``rows`` (classification_report) for the result's target."""
    gold = [label_of(r, result.target) for r in rows]
    return classification_report(gold, predict(result, [r["text"] for r in rows]),
                                 result.labels)


def measure_latency(result: FineTuneResult, texts: Sequence[str]) -> dict[str, float]:
    """One prediction at a time (as a service answers requests): latency median/p95 and
    CPU-seconds per 1,000 predictions."""
    times = []
    cpu0 = time.process_time()
    for text in texts:
        start = time.perf_counter()
        probabilities(result, [text])
        times.append(time.perf_counter() - start)
    cpu = time.process_time() - cpu0
    summary = latency_summary(times)
    return {"latency_median_s": summary["median"], "latency_p95_s": summary["p95"],
            "cpu_s_per_1000": 1000 * cpu / max(len(texts), 1)}


def save(result: FineTuneResult, folder: str | Path) -> Path:
    """Save model (or LoRA adapter), tokenizer and the training record to ``folder``
    (written beside it and renamed into place, replacing an older save only when complete;
    a folder there that no save made is refused, never removed)."""
    from tune_or_prompt.ground.files import atomic_dir

    record = {"target": result.target, "labels": list(result.labels), "method": result.method,
              "train_size": result.train_size, "epochs": result.epochs, "seed": result.seed,
              "threshold": result.threshold, "history": result.history,
              "train_seconds": result.train_seconds, "eval_seconds": result.eval_seconds,
              "trainable_parameters": result.trainable_parameters,
              "total_parameters": result.total_parameters,
              "train_cpu_seconds": result.train_cpu_seconds, "train_ids": result.train_ids,
              "head": result.head}
    # Written beside the target and renamed: an older save stays whole until this one is done.
    with atomic_dir(folder, owned=True) as staging, quiet_transformers():
        result.model.save_pretrained(staging)
        result.tokenizer.save_pretrained(staging)
        (staging / "tune_or_prompt.json").write_text(json.dumps(record, indent=2))
    return Path(folder)


def load_finetuned(folder: str | Path) -> FineTuneResult:
    """Reload what `save` wrote (full models, LoRA adapters and heads alike)."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    folder = Path(folder)
    record = json.loads((folder / "tune_or_prompt.json").read_text())
    with quiet_transformers():
        tokenizer = AutoTokenizer.from_pretrained(folder)
        if record["method"] == "lora":
            from peft import PeftConfig, PeftModel

            base_path = PeftConfig.from_pretrained(folder).base_model_name_or_path
            base = AutoModelForSequenceClassification.from_pretrained(
                base_path, num_labels=len(record["labels"]))
            model = PeftModel.from_pretrained(base, folder)
        else:
            model = AutoModelForSequenceClassification.from_pretrained(folder)
    model.eval()
    trainable, total = record["trainable_parameters"], record["total_parameters"]
    return FineTuneResult(record["target"], tuple(record["labels"]), model, tokenizer,
                          record["train_size"], record["epochs"], record["seed"],
                          record["method"], record["history"], record["train_seconds"],
                          record["eval_seconds"], trainable, total, record["threshold"],
                          record.get("train_cpu_seconds", 0.0), record.get("train_ids", []),
                          record.get("head"))


def nearest_training(result: FineTuneResult, text: str, rows: Sequence[dict[str, Any]],
                     k: int = 3) -> list[dict[str, Any]]:
    """The ``k`` rows (e.g. the training tickets) closest to ``text`` as the fine-tuned encoder
    sees them (cosine similarity of its mean-pooled sentence vectors), most similar first, each
    with its ``similarity``: where to look when a prediction surprises you."""
    vectors = _vectors(result, [text, *[r["text"] for r in rows]])
    similarity = vectors[1:] @ vectors[0]
    return [{**rows[int(i)], "similarity": float(similarity[i])}
            for i in np.argsort(-similarity, kind="stable")[:k]]


def overfitting_turn(history: Sequence[dict[str, float]]) -> dict[str, Any]:
    """Where a training trace's validation loss is lowest and what it does after: ``best`` (the
    epoch of the lowest validation loss), ``last`` (the final epoch), ``rise`` (final minus
    lowest validation loss, 0 when the last epoch is the best) and ``turned`` (whether the
    validation loss ends above its lowest point while the training loss ends below its value
    at that epoch: the two losses parting ways)."""
    if not history:
        raise ValueError("an empty training trace")
    best = min(history, key=lambda row: row["val_loss"])
    last = history[-1]
    rise = last["val_loss"] - best["val_loss"]
    return {"best": int(best["epoch"]), "last": int(last["epoch"]), "rise": rise,
            "turned": bool(rise > 0 and last["train_loss"] < best["train_loss"])}


def folder_size(folder: str | Path) -> int:
    """Bytes of all files in a folder (what a saved model costs on disk)."""
    return sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file())


def head_only_curve(target: str | Target, sizes: Sequence[int], seeds: Sequence[int] = (0, 1, 2),
                    test_rows: Sequence[dict[str, Any]] | None = None,
                    model_name: str | None = None) -> list[dict[str, float]]:
    """Learning curve of the cheapest fine-tune: the encoder frozen, only a linear classifier
    trained on its sentence embeddings (logistic regression). Embeddings are computed once, so
    every size and seed takes milliseconds. Rows: size, seed, accuracy, macro_f1."""
    from sklearn.linear_model import LogisticRegression

    from tune_or_prompt.ground.encoders import embed

    spec = target_of(target)
    target = spec.name  # looked up once: the rest of the run reads the object or its name
    dataset_name, labels = spec.dataset, spec.labels
    train = load(dataset_name, "train")
    test = list(test_rows if test_rows is not None else load(dataset_name, "test"))
    encoder = load_encoder(model_name)
    train_vecs = embed(encoder, [r["text"] for r in train]).numpy()
    test_vecs = embed(encoder, [r["text"] for r in test]).numpy()
    index = {id(r): i for i, r in enumerate(train)}
    gold = [label_of(r, target) for r in test]
    rows = []
    for size in sizes:
        for seed in seeds:
            subset = balanced_sample(train, target, size, seed)
            y = [label_of(r, target) for r in subset]
            if len(set(y)) < 2:
                continue
            clf = LogisticRegression(max_iter=2000, C=10.0)
            clf.fit(train_vecs[[index[id(r)] for r in subset]], y)
            report = classification_report(gold, list(clf.predict(test_vecs)), labels)
            rows.append({"size": len(subset), "seed": seed, "accuracy": report["accuracy"],
                         "macro_f1": report["macro_f1"]})
    return rows
