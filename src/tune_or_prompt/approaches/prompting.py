"""Prompting a generative model: k-shot chat prompts, label scoring with a reused KV cache,
calibration, free generation with output parsing, and measured runs.

Small models often ignore "answer with one word", so classification scores each label's answer
as a continuation of the prompt (its log-likelihood) and picks the most likely one. The part of
the prompt shared by every query (instruction and demonstrations) is computed once and its
key/value cache reused for every query; labels that are one token long are read off the query's
last position, and longer ones are scored together in one batched step.
"""

from __future__ import annotations

import copy
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tune_or_prompt.ground.compat import cache_argument, new_cache, returned_cache
from tune_or_prompt.ground.data import load
from tune_or_prompt.ground.models import LoadedModel
from tune_or_prompt.ground.registry import Target, balanced_sample, target
from tune_or_prompt.ground.scores import classification_report, latency_summary
from tune_or_prompt.ground.tokens import count

PLACEHOLDER = "\x00QUERY\x00"
ANSWER_PREFIX = "Answer:"




def header(task: Target, describe: bool = True) -> str:
    """The instruction, the allowed answers and (optionally) what each answer means."""
    if describe and task.descriptions:
        lines = [f"- {task.answers[label]}: {text}" for label, text in task.descriptions.items()]
        options = "Answer with one word:\n" + "\n".join(lines)
    else:
        options = "Answer with one word: " + " or ".join(task.answers.values()) + "."
    return f"{task.instruction}\n{options}"


def build_messages(task: Target, demos: Sequence[dict[str, Any]], query: str,
                   describe: bool = True, system: str | None = None) -> list[dict[str, str]]:
    """Chat messages of a k-shot prompt: the header, k solved examples, then the query."""
    messages = [{"role": "system", "content": system}] if system else []
    intro = header(task, describe) + "\n\n"
    for i, demo in enumerate(demos):
        messages.append({"role": "user", "content": (intro if i == 0 else "")
                         + f"Message: {demo['text']}"})
        messages.append({"role": "assistant",
                         "content": f"{ANSWER_PREFIX} {task.answers[task.gold(demo)]}"})
    messages.append({"role": "user", "content": ("" if demos else intro) + f"Message: {query}"})
    return messages


def chat_text(loaded: LoadedModel, messages: list[dict[str, str]]) -> str:
    """The model's chat template applied, ending where the assistant's turn starts."""
    return loaded.tokenizer.apply_chat_template(messages, tokenize=False,
                                                add_generation_prompt=True)


def render(loaded: LoadedModel, messages: list[dict[str, str]]) -> str:
    """The chat text of a classification prompt, ending with the answer prefix."""
    return chat_text(loaded, messages) + ANSWER_PREFIX


@dataclass(frozen=True)
class PromptParts:
    """A prompt split at the query: ``prefix`` is shared by every query, ``suffix`` follows it."""

    prefix: str
    suffix: str

    def full(self, query: str) -> str:
        return self.prefix + query + self.suffix


STYLES = ("plain", "chat")


def plain_prompt(task: Target, demos: Sequence[dict[str, Any]], query: str,
                 describe: bool = True) -> str:
    """A completion-style prompt without the chat template: header, solved examples, query."""
    text = header(task, describe) + "\n\n"
    for demo in demos:
        text += f"Message: {demo['text']}\n{ANSWER_PREFIX} {task.answers[task.gold(demo)]}\n\n"
    return text + f"Message: {query}\n{ANSWER_PREFIX}"


def split_prompt(loaded: LoadedModel | None, task: Target, demos: Sequence[dict[str, Any]],
                 describe: bool = True, style: str = "plain") -> PromptParts:
    """The prompt for ``demos`` split at the query (``loaded`` is needed for the chat style
    only).

    ``style='plain'`` writes the examples as one completion-style text (what this small model
    follows best in our measurements); ``'chat'`` uses the model's chat template, one
    user/assistant turn per example.
    """
    if style == "plain":
        text = plain_prompt(task, demos, PLACEHOLDER, describe)
    elif style == "chat":
        if loaded is None:
            raise ValueError("the chat style needs the model whose chat template it uses")
        text = render(loaded, build_messages(task, demos, PLACEHOLDER, describe))
    else:
        raise ValueError(f"style must be one of {STYLES}, not {style!r}")
    prefix, suffix = text.split(PLACEHOLDER)
    return PromptParts(prefix, suffix)


def _ids(loaded: LoadedModel, text: str) -> list[int]:
    return loaded.tokenizer(text, add_special_tokens=False)["input_ids"]


def label_token_ids(loaded: LoadedModel, task: Target) -> list[list[int]]:
    """Token ids of each label's answer (after the 'Answer:' prefix, so with a leading space)."""
    return [_ids(loaded, " " + task.answers[label]) for label in task.labels]


def direct_scores(loaded: LoadedModel, prompt_ids: Sequence[int],
                  labels: Sequence[Sequence[int]]) -> np.ndarray:
    """Log-likelihood of each label after the prompt, one full forward pass per label (no reuse).

    The reference computation: what the cached scorer must reproduce, and the slow baseline.
    """
    import torch

    out = []
    with torch.inference_mode():
        for label in labels:
            ids = torch.tensor([list(prompt_ids) + list(label)])
            logprobs = torch.log_softmax(loaded.model(ids).logits[0].float(), dim=-1)
            start = len(prompt_ids) - 1
            out.append(sum(float(logprobs[start + i, t]) for i, t in enumerate(label)))
    return np.array(out)


class CachedScorer:
    """Scores labels for many queries that share one prompt prefix, computing the prefix once."""

    def __init__(self, loaded: LoadedModel, prefix_ids: Sequence[int],
                 labels: Sequence[Sequence[int]], batch_size: int = 8):
        import torch

        self.loaded = loaded
        self.labels = [list(label) for label in labels]
        self.batch_size = batch_size
        self.prefix_len = len(prefix_ids)
        with torch.inference_mode():
            out = loaded.model(torch.tensor([list(prefix_ids)]),
                               **cache_argument(loaded.model, new_cache()), use_cache=True)
        self.cache = returned_cache(out)
        self.single_token = all(len(label) == 1 for label in self.labels)
        self._by_batch: dict[int, Any] = {}  # the prefix's cache repeated, by batch size

    def _cache(self, batch: int):
        cache = copy.deepcopy(self.cache)
        if batch > 1:
            cache.batch_repeat_interleave(batch)
        return cache

    def _batch_cache(self, batch: int):
        """The prefix's cache repeated ``batch`` times, made once per batch size and cut back to
        the prefix after each use (copying it for every batch cost a fifth of the time)."""
        cache = self._by_batch.get(batch)
        if cache is None or not getattr(cache, "is_croppable", True):
            cache = self._by_batch[batch] = self._cache(batch)
        elif cache.get_seq_length() > self.prefix_len:
            cache.crop(self.prefix_len - cache.get_seq_length())  # negative: tokens to drop
        return cache

    def score(self, queries: Sequence[Sequence[int]]) -> np.ndarray:
        """Log-likelihoods, shape (len(queries), len(labels))."""
        if self.single_token:
            # Shortest first, so each batch pads little; the rows go back to the given order.
            order = sorted(range(len(queries)), key=lambda i: len(queries[i]))
            rows = [self._score_single_batch(batch)
                    for batch in self._batches([queries[i] for i in order])]
            out = np.zeros((len(queries), len(self.labels)))
            if rows:
                out[order] = np.concatenate(rows)
            return out
        return np.array([self._score_multi(q) for q in queries])

    LONG_QUERY = 512  # tokens: a longer query is scored alone, so nothing pads to its length

    def _batches(self, queries: Sequence[Sequence[int]]) -> list[Sequence[Sequence[int]]]:
        """Consecutive batches of up to ``batch_size`` queries; a long query forms its own."""
        batches: list[list[Sequence[int]]] = []
        for query in queries:
            if (not batches or len(batches[-1]) >= self.batch_size
                    or len(query) > self.LONG_QUERY or len(batches[-1][-1]) > self.LONG_QUERY):
                batches.append([])
            batches[-1].append(query)
        return batches

    def _score_single_batch(self, queries: Sequence[Sequence[int]]) -> np.ndarray:
        """One step for a batch: right-padded queries, logits read at each query's last token."""
        import torch

        width = max(len(q) for q in queries)
        pad = self.loaded.tokenizer.pad_token_id or 0
        ids = torch.tensor([list(q) + [pad] * (width - len(q)) for q in queries])
        model = self.loaded.model
        last = torch.tensor([len(q) - 1 for q in queries])
        with torch.inference_mode():
            # Run the body, then the (large) vocabulary head only at each query's last token.
            # No padding mask is needed: the padding comes after each query's last token, and
            # a causal model's earlier positions never attend to later ones, so the positions
            # read are exactly those of an unpadded pass (the causal mask alone is cheaper).
            hidden = model.model(ids, **cache_argument(model.model, self._batch_cache(
                len(queries))), use_cache=True).last_hidden_state
            logits = model.lm_head(hidden[torch.arange(len(queries)), last])
        logprobs = torch.log_softmax(logits.float(), dim=-1)
        return logprobs[:, [label[0] for label in self.labels]].numpy()

    def _score_multi(self, query: Sequence[int]) -> np.ndarray:
        """Labels of several tokens: the query once, then every label in one batched step."""
        import torch

        cache = self._cache(1)
        with torch.inference_mode():
            out = self.loaded.model(torch.tensor([list(query)]),
                                    **cache_argument(self.loaded.model, cache), use_cache=True)
            first = torch.log_softmax(out.logits[0, -1].float(), dim=-1)
            scores = np.array([float(first[label[0]]) for label in self.labels])
            rest = [label[1:] for label in self.labels]
            width = max(len(r) for r in rest)
            if width == 0:
                return scores
            n = len(self.labels)
            cache.batch_repeat_interleave(n)
            ids = torch.tensor([label[:-1] + [0] * (width - len(label) + 1)
                                for label in self.labels])
            past = self.prefix_len + len(query)
            mask = torch.tensor([[1] * (past + len(label) - 1) + [0] * (width - len(label) + 1)
                                 for label in self.labels])
            logits = self.loaded.model(ids, **cache_argument(self.loaded.model, cache),
                                       attention_mask=mask).logits
            logprobs = torch.log_softmax(logits.float(), dim=-1)
        for i, label in enumerate(self.labels):
            scores[i] += sum(float(logprobs[i, j, t]) for j, t in enumerate(label[1:]))
        return scores


def calibrate(scores: np.ndarray, content_free: np.ndarray) -> np.ndarray:
    """Contextual calibration (Zhao et al. 2021): divide out the label probabilities the prompt
    gives a content-free input, in log space. Both arrays hold log-likelihoods over labels."""
    def log_normalise(x: np.ndarray) -> np.ndarray:
        return x - np.logaddexp.reduce(x, axis=-1, keepdims=True)

    return log_normalise(scores) - log_normalise(content_free)


def choose_demos(task: Target, k: int, strategy: str = "balanced", seed: int = 0,
                 pool: Sequence[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """k demonstrations from the train split: 'random' or 'balanced' (classes as equal as k
    allows). The 'similar' strategy picks per query: see `similar_demos`."""
    pool = list(pool if pool is not None else load(task.dataset, "train"))
    if not 0 <= k <= len(pool):
        raise ValueError(f"k={k} examples asked for, but the pool has {len(pool)}")
    if k == 0:
        return []
    if strategy == "random":
        return random.Random(seed).sample(pool, k)
    if strategy == "balanced":
        return balanced_sample(pool, task.name, k, seed)
    raise ValueError(f"strategy must be 'random', 'balanced' or 'similar', not {strategy!r}")


def similar_demos(encoder: LoadedModel, queries: Sequence[str], pool: Sequence[dict[str, Any]],
                  k: int) -> list[list[dict[str, Any]]]:
    """For each query, the k most similar pool rows (by encoder embeddings), most similar last."""
    from tune_or_prompt.ground.encoders import embed

    pool_vecs = embed(encoder, [r["text"] for r in pool])
    query_vecs = embed(encoder, list(queries))
    sims = (query_vecs @ pool_vecs.T).numpy()
    return [[pool[int(i)] for i in np.argsort(row)[-k:]] for row in sims]


@dataclass
class PromptRun:
    """One measured prompting run on a set of rows: raw and calibrated predictions."""

    task: str
    k: int
    strategy: str
    style: str
    gold: list[str]
    scores: np.ndarray  # log-likelihood of each label, shape (rows, labels)
    content_free: np.ndarray  # the same for the content-free input, one row per query
    prompt_tokens: list[int]  # tokens the model reads per query (prefix + query + suffix)
    latency: list[float]  # seconds per query (a batch's time is shared by its queries)
    cpu_seconds: float  # process CPU time for the whole run, prefix included
    wall_seconds: float
    labels: tuple[str, ...] = ()
    truncated: int = 0  # queries cut to what fits the model's context

    def predictions(self, calibrated: bool = False) -> list[str]:
        scores = calibrate(self.scores, self.content_free) if calibrated else self.scores
        return [self.labels[int(i)] for i in scores.argmax(axis=1)]

    def report(self, calibrated: bool = False) -> dict[str, Any]:
        if not self.gold:
            raise ValueError("These rows carry no gold labels: there is nothing to score.")
        return classification_report(self.gold, self.predictions(calibrated), self.labels)

    @property
    def accuracy(self) -> float:
        return self.report()["accuracy"]

    def summary(self) -> dict[str, Any]:
        lat = latency_summary(self.latency)
        nan = {"accuracy": float("nan"), "macro_f1": float("nan")}
        raw = self.report() if self.gold else nan
        cal = self.report(calibrated=True) if self.gold else nan
        return {"task": self.task, "k": self.k, "strategy": self.strategy, "style": self.style,
                "n": len(self.latency), "accuracy": raw["accuracy"], "macro_f1": raw["macro_f1"],
                "accuracy_calibrated": cal["accuracy"], "macro_f1_calibrated": cal["macro_f1"],
                "prompt_tokens": float(np.mean(self.prompt_tokens)),
                "latency_median_s": lat["median"], "latency_p95_s": lat["p95"],
                "cpu_s_per_1000": 1000 * self.cpu_seconds / max(len(self.latency), 1)}


CONTENT_FREE = "N/A"


class PromptTooLongError(ValueError):
    """The shared part of a prompt leaves no room for a query in the model's context."""


def context_tokens(loaded: LoadedModel) -> int:
    """How many tokens the model reads at most (its position embeddings)."""
    return int(getattr(loaded.model.config, "max_position_embeddings", 0) or 2048)


def check_prompt_fits(task_name: str, k: int, strategy: str = "balanced", seed: int = 0,
                      describe: bool = True) -> int:
    """Before any model loads: check that a plain k-shot prompt of the embedded model leaves
    room for a message in its context, counting tokens with its fast tokenizer. Returns the
    prompt's token count; raises PromptTooLongError naming the largest k that fits."""
    import json

    from tune_or_prompt.ground.models import embedded_files, fast_tokenizer

    config = json.loads((embedded_files("generative") / "config.json").read_text())
    context = int(config.get("max_position_embeddings") or 2048)
    tokenizer = fast_tokenizer("generative")
    task = target(task_name)
    pool = load(task.dataset, "train")
    if not 0 <= k <= len(pool):
        raise ValueError(f"--shots {k}: must be between 0 and {len(pool)} (the training "
                         "examples there are to show)")
    room = 64  # tokens left for the message and the answer

    def tokens(shots: int) -> int:
        text = plain_prompt(task, choose_demos(task, shots, strategy, seed), "", describe)
        return count(tokenizer, [text])[0]

    needed = tokens(k)
    if needed + room <= context:
        return needed
    low, high = 0, k  # tokens(low) fits (or nothing does), tokens(high) does not
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if tokens(middle) + room <= context else (low, middle)
    raise PromptTooLongError(
        f"--shots {k}: the prompt would take {needed:,} tokens, more than the model's "
        f"{context:,}-token context leaves room for; at most {low} examples fit")


MAX_QUERY_TOKENS = 1024  # a message is read up to here (bundled ones are under 100 tokens)


class QueryFit:
    """Token ids of each query, cut to ``MAX_QUERY_TOKENS`` and so that prefix + query + suffix
    + the longest label fit the model's context (each cut query is counted in ``truncated``).

    The cap keeps one pasted document from costing minutes on a CPU: attention grows with
    the square of the length (an 8,000-token message took about 80 s here)."""

    def __init__(self, loaded: LoadedModel, prefix_ids: Sequence[int],
                 suffix_ids: Sequence[int], labels: Sequence[Sequence[int]]):
        self.loaded = loaded
        self.suffix_ids = list(suffix_ids)
        context = context_tokens(loaded)
        room = context - len(prefix_ids) - max(len(label) for label in labels)
        self.budget = min(room, MAX_QUERY_TOKENS + len(self.suffix_ids))
        if room < len(self.suffix_ids) + 1:
            raise PromptTooLongError(
                f"the prompt's instruction and examples take {len(prefix_ids):,} tokens, which "
                f"leaves no room for a message in the model's {context:,}-token context: use "
                "fewer examples (--shots)")
        self.truncated = 0

    def __call__(self, query_with_suffix: str, query: str) -> list[int]:
        ids = _ids(self.loaded, query_with_suffix)
        if len(ids) <= self.budget:
            return ids
        self.truncated += 1
        return _ids(self.loaded, query)[: self.budget - len(self.suffix_ids)] + self.suffix_ids


def run(loaded: LoadedModel, task_name: str | Target, rows: Sequence[dict[str, Any]], k: int = 0,
        strategy: str = "balanced", seed: int = 0, style: str = "plain",
        demos: Sequence[dict[str, Any]] | None = None, describe: bool = True,
        encoder: LoadedModel | None = None, batch_size: int = 8,
        progress: Callable[[int], None] | None = None) -> PromptRun:
    """Classify ``rows`` with a k-shot prompt and measure accuracy, tokens, latency and CPU time.

    Also scores a content-free input (``"N/A"``) with the same prompt, so the run holds both raw
    and calibrated predictions. ``demos`` overrides the chosen demonstrations (e.g. to test their
    order). With ``strategy='similar'`` each query gets its own k nearest training examples
    (slower: nothing beyond the instruction is shared between queries).
    """
    task = target(task_name)
    labels = label_token_ids(loaded, task)
    wall0, cpu0 = time.perf_counter(), time.process_time()
    texts = [r["text"] for r in rows]
    if strategy == "similar" and k > 0 and demos is None:
        from tune_or_prompt.ground.models import load_encoder

        enc = encoder or load_encoder()
        per_query = similar_demos(enc, texts, load(task.dataset, "train"), k)
        groups = [(per_query[i], [i]) for i in range(len(rows))]
    else:
        chosen = list(demos) if demos is not None else choose_demos(task, k, strategy, seed)
        groups = [(chosen, list(range(len(rows))))]
    scores = np.zeros((len(rows), len(labels)))
    content_free = np.zeros_like(scores)
    latency = [0.0] * len(rows)
    tokens = [0] * len(rows)
    done = truncated = 0
    for group_demos, indices in groups:
        parts = split_prompt(loaded, task, group_demos, describe, style)
        prefix_ids = _ids(loaded, parts.prefix)
        fit = QueryFit(loaded, prefix_ids, _ids(loaded, parts.suffix), labels)
        scorer = CachedScorer(loaded, prefix_ids, labels, batch_size)
        by_index = {i: fit(texts[i] + parts.suffix, texts[i]) for i in indices}
        truncated += fit.truncated
        # Batches of similar lengths: a batch is padded to its longest query, so mixing long and
        # short ones wastes most of the compute (the scores are the same in any order).
        indices = sorted(indices, key=lambda i: len(by_index[i]))
        query_ids = [by_index[i] for i in indices]
        for start in range(0, len(indices), batch_size):
            batch = indices[start:start + batch_size]
            t0 = time.perf_counter()
            scores[batch] = scorer.score(query_ids[start:start + batch_size])
            share = (time.perf_counter() - t0) / len(batch)
            for j, i in enumerate(batch):
                latency[i] = share
                tokens[i] = len(prefix_ids) + len(query_ids[start + j])
            done += len(batch)
            if progress:
                progress(done)
        content_free[indices] = scorer.score([_ids(loaded, CONTENT_FREE + parts.suffix)])[0]
    gold = [task.gold(r) for r in rows] if all(task.has_gold(r) for r in rows) else []
    return PromptRun(task.name, k, strategy, style, gold, scores,
                     content_free, tokens, latency, time.process_time() - cpu0,
                     time.perf_counter() - wall0, task.labels, truncated)


def evaluation_rows(task_name: str, n: int, seed: int = 0,
                    split: str = "test") -> list[dict[str, Any]]:
    """``n`` rows of a split to evaluate on: class-balanced; for a target with a rare class
    (``urgent``) a random sample that keeps its real share (about 1 ticket in 7), because that
    imbalance is what makes accuracy misleading."""
    task = target(task_name)
    rows = load(task.dataset, split)
    if n >= len(rows):
        return rows
    if task.rare:
        return random.Random(seed).sample(rows, n)
    return balanced_sample(rows, task_name, n, seed)


def sweep(loaded: LoadedModel, rows_by_task: dict[str, Sequence[dict[str, Any]]],
          shots: Sequence[int] = (0, 1, 2, 4, 8), progress: bool = True,
          **options: Any) -> list[PromptRun]:
    """One run per task and k (same rows and seed for every k), with a tqdm progress bar."""
    from tqdm.auto import tqdm

    jobs = [(task, k) for task in rows_by_task for k in shots]
    runs = []
    for task, k in tqdm(jobs, desc="prompt runs", disable=not progress):
        runs.append(run(loaded, task, rows_by_task[task], k=k, **options))
    return runs


def order_spread(loaded: LoadedModel, task_name: str, rows: Sequence[dict[str, Any]],
                 demos: Sequence[dict[str, Any]], orders: int = 4, seed: int = 0,
                 style: str = "plain") -> list[PromptRun]:
    """The same demonstrations in ``orders`` different orders: how much does order alone move
    accuracy?"""
    rng = random.Random(seed)
    runs, seen = [], set()
    base = list(demos)
    for _ in range(orders * 10):
        order = tuple(rng.sample(range(len(base)), len(base)))
        if order in seen:
            continue
        seen.add(order)
        runs.append(run(loaded, task_name, rows, k=len(base), demos=[base[i] for i in order],
                        style=style))
        if len(runs) == orders:
            break
    return runs


def generate(loaded: LoadedModel, messages: list[dict[str, str]], max_new_tokens: int = 24) -> str:
    """Greedy free-text answer to chat messages (what a chat user would see)."""
    import torch

    ids = torch.tensor([_ids(loaded, chat_text(loaded, messages))])
    with torch.inference_mode():
        out = loaded.model.generate(ids, max_new_tokens=max_new_tokens, do_sample=False,
                                    pad_token_id=loaded.tokenizer.eos_token_id)
    return loaded.tokenizer.decode(out[0, ids.shape[1]:], skip_special_tokens=True).strip()


def generate_constrained(loaded: LoadedModel, messages: list[dict[str, str]],
                         task: Target) -> str:
    """Greedy generation that may only write one allowed answer (constrained decoding).

    After the answer prefix, each step may only pick a token that continues some label's
    answer (`label_token_ids`), and end-of-text once an answer is complete: the same thing
    a JSON schema or a regular expression does in Outlines or a vendor's structured outputs,
    with the grammar "one of these words". Greedy steps commit to the first token, so this
    can pick a different answer from label scoring, which compares whole answers."""
    import torch

    prompt = _ids(loaded, render(loaded, messages))
    answers = label_token_ids(loaded, task)
    eos = loaded.tokenizer.eos_token_id

    def allowed(_batch: int, ids: torch.Tensor) -> list[int]:
        written = ids[len(prompt):].tolist()
        nexts = {a[len(written)] for a in answers
                 if len(a) > len(written) and a[:len(written)] == written}
        if any(a == written for a in answers):
            nexts.add(eos)
        return sorted(nexts) or [eos]

    longest = max(len(a) for a in answers)
    with torch.inference_mode():
        out = loaded.model.generate(torch.tensor([prompt]), max_new_tokens=longest + 1,
                                    do_sample=False, pad_token_id=eos,
                                    prefix_allowed_tokens_fn=allowed)
    return loaded.tokenizer.decode(out[0, len(prompt):], skip_special_tokens=True).strip()


def parse_answer(text: str, task: Target) -> str | None:
    """The label whose answer word appears first in free text, or None if none does."""
    import re

    lowered = text.lower()
    found = []
    for label, word in task.answers.items():
        for candidate in {word, label.replace("_", " "), label}:
            match = re.search(rf"\b{re.escape(candidate.lower())}\b", lowered)
            if match:
                found.append((match.start(), -len(candidate), label))
    return min(found)[2] if found else None


def chat_prompt(loaded: LoadedModel, user: str, system: str | None = None) -> str:
    """The chat template applied to one user turn, ready for the answer (for small demos)."""
    messages = ([{"role": "system", "content": system}] if system else []) + [
        {"role": "user", "content": user}]
    return chat_text(loaded, messages)


@dataclass(frozen=True)
class Prediction:
    label: str
    scores: dict[str, float]


def classify(loaded: LoadedModel, instruction: str, text: str,
             labels: Sequence[str]) -> Prediction:
    """Zero-shot classification of one text by scoring each label after the instruction."""
    prompt_ids = _ids(loaded, chat_prompt(loaded, f"{instruction}\n\nText: {text}"))
    label_ids = [_ids(loaded, label) for label in labels]
    scores = direct_scores(loaded, prompt_ids, label_ids)
    return Prediction(labels[int(np.argmax(scores))], dict(zip(labels, map(float, scores),
                                                               strict=True)))


__all__ = ["CachedScorer", "PromptRun", "build_messages",
           "calibrate", "choose_demos", "classify", "direct_scores", "generate", "order_spread",
           "parse_answer", "run", "split_prompt"]
