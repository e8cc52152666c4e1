"""Lesson 2 (Prompt engineering in practice): prompt-length accounting, the context-window
budget, a tiny retrieval step over made-up Quillfield product facts, and example-order runs.

Everything here is small enough to run live in the lesson on a laptop CPU.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from tune_or_prompt.approaches import prompting as P
from tune_or_prompt.ground.data import load
from tune_or_prompt.ground.models import LoadedModel
from tune_or_prompt.ground.registry import TARGETS, Target
from tune_or_prompt.ground.tokens import count

# Made up for this lesson: Quillfield Bank is fictional, and so are its products and prices.
PRODUCT_FACTS: tuple[str, ...] = (
    "Quill Basic has no monthly fee; each cash withdrawal abroad costs £1.",
    "Quill Plus costs £6 a month and includes fee-free cash withdrawals abroad up to £400 a "
    "month, then 2%.",
    "Quill Premier costs £12 a month and adds worldwide travel insurance and a metal card.",
    "A replacement card arrives in 3 to 5 working days in the UK; express delivery costs £5.",
    "Instant transfers are free up to 10 a month; each one after that costs 20p.",
    "The arranged overdraft costs 29.9% EAR (variable) on every plan; Quill Plus allows up to "
    "£1,000.",
    "A lost or stolen card can be frozen at once in the app, under Card and then Freeze.",
    "Quill Saver pays 3.1% AER (variable) on balances up to £50,000.",
)

GROUNDED_SYSTEM = ("You are Quillfield Bank's support assistant. Answer in one sentence, using "
                   "only the facts given.")


def tokens(llm: LoadedModel, text: str) -> int:
    """Tokens the model reads for ``text``."""
    return count(llm.tokenizer, [text])[0]


def demonstration_text(task: Target, row: dict[str, Any]) -> str:
    """One demonstration exactly as `prompting.plain_prompt` writes it."""
    return f"Message: {row['text']}\n{P.ANSWER_PREFIX} {task.answers[task.gold(row)]}\n\n"


def demonstration_tokens(llm: LoadedModel, task: Target, row: dict[str, Any]) -> int:
    """Tokens one demonstration adds to a prompt, counted in place after the instruction (a
    demonstration tokenised on its own can come out a token shorter at the join)."""
    start = P.header(task) + "\n\n"
    return tokens(llm, start + demonstration_text(task, row)) - tokens(llm, start)


def shots_table(llm: LoadedModel, query: str, task_name: str = "intent",
                ks: Sequence[int] = (0, 1, 2, 4, 8), seed: int = 0) -> list[dict[str, Any]]:
    """Prompt length per k for one query: total tokens, and how many the demonstrations add to
    the zero-shot prompt. Tokenizer only, no model call."""
    task = TARGETS[task_name]
    zero = tokens(llm, P.plain_prompt(task, [], query))
    rows = []
    for k in ks:
        demos = P.choose_demos(task, k, seed=seed)
        total = tokens(llm, P.plain_prompt(task, demos, query))
        rows.append({"k": k, "demonstration labels": ", ".join(task.gold(d) for d in demos),
                     "prompt tokens": total, "added by demonstrations": total - zero})
    return rows


def context_budget(llm: LoadedModel, task_name: str = "intent") -> dict[str, float]:
    """How many demonstrations fit in the model's context window: its length (from the model
    config), the instruction's tokens, and the mean tokens per demonstration and per query over
    the training split."""
    task = TARGETS[task_name]
    train = load(task.dataset, "train")
    window = int(llm.model.config.max_position_embeddings)
    start = P.header(task) + "\n\n"
    header = tokens(llm, start)
    in_place = [start + demonstration_text(task, r) for r in train]  # as demonstration_tokens
    queries = [f"Message: {r['text']}\n{P.ANSWER_PREFIX}" for r in train]
    counts = count(llm.tokenizer, in_place + queries)
    per_demo = float(np.mean([n - header for n in counts[:len(train)]]))
    per_query = float(np.mean(counts[len(train):]))
    fits = int((window - header - per_query - 1) // per_demo)
    return {"context window": window, "instruction tokens": header,
            "tokens per demonstration (mean)": round(per_demo, 1),
            "tokens per query (mean)": round(per_query, 1), "demonstrations that fit": fits,
            "labelled training examples": len(train)}


def tokens_per_word(llm: LoadedModel, texts: Sequence[str]) -> float:
    """Average tokens per whitespace-separated word over ``texts``."""
    n_tokens = sum(tokens(llm, t) for t in texts)
    n_words = sum(len(t.split()) for t in texts)
    return n_tokens / max(n_words, 1)


def retrieve(encoder: LoadedModel, question: str, facts: Sequence[str] = PRODUCT_FACTS,
             k: int = 2) -> list[tuple[float, str]]:
    """The ``k`` facts most similar to ``question`` (cosine similarity of mean-pooled encoder
    embeddings), most similar first, with their similarity."""
    from tune_or_prompt.ground.encoders import embed

    vectors = embed(encoder, [question, *facts])
    similarity = (vectors[1:] @ vectors[0]).numpy()
    best = np.argsort(-similarity)[:k]
    return [(float(similarity[i]), facts[int(i)]) for i in best]


def grounded_messages(question: str, snippets: Sequence[str],
                      system: str | None = GROUNDED_SYSTEM) -> list[dict[str, str]]:
    """Chat messages: a system role, then the retrieved facts and the question as the user turn.
    With no snippets, only the question (and the system role, if any)."""
    messages = [{"role": "system", "content": system}] if system else []
    context = ("Facts:\n" + "\n".join(f"- {s}" for s in snippets) + "\n\n") if snippets else ""
    messages.append({"role": "user", "content": f"{context}Question: {question}"})
    return messages


SIGNS = {"positive": "+", "negative": "−"}


def run_orders(llm: LoadedModel, rows: Sequence[dict[str, Any]],
               orders: dict[str, Sequence[dict[str, Any]]],
               task_name: str = "sentiment") -> dict[str, P.PromptRun]:
    """Score the same ``rows`` once per ordering of the same demonstrations; ``orders`` maps a
    name to the demonstrations in that order."""
    return {name: P.run(llm, task_name, rows, k=len(demos), demos=list(demos))
            for name, demos in orders.items()}


def _probabilities(scores: np.ndarray) -> np.ndarray:
    return np.exp(scores - np.logaddexp.reduce(scores, axis=-1, keepdims=True))


def order_table(runs: dict[str, P.PromptRun], orders: dict[str, Sequence[dict[str, Any]]],
                task_name: str = "sentiment") -> list[dict[str, Any]]:
    """One row per order (`run_orders`): the last example's label, accuracy (raw and with
    contextual calibration), how the predictions split between labels, and the probability
    the prompt gives each label for the content-free input "N/A" (the prompt's built-in lean)."""
    task = TARGETS[task_name]
    out = []
    for name, run in runs.items():
        free = _probabilities(run.content_free[0])
        counts = Counter(run.predictions())
        out.append({
            "order": name,
            "last example": task.gold(orders[name][-1]),
            "accuracy": run.accuracy,
            "calibrated accuracy": run.report(calibrated=True)["accuracy"],
            "predicted": ", ".join(f"{counts[label]} {label}" for label in task.labels),
            **{f"P({label}) for 'N/A'": round(float(p), 2)
               for label, p in zip(task.labels, free, strict=True)},
        })
    return out


def order_flips(runs: dict[str, P.PromptRun]) -> int:
    """How many rows get a different answer under the first two orders of `run_orders`."""
    first, second = list(runs.values())[:2]
    return sum(a != b for a, b in zip(first.predictions(), second.predictions(), strict=True))


def calibration_notes(runs: dict[str, P.PromptRun], task_name: str = "sentiment") -> dict[str, str]:
    """What contextual calibration did to each order's run, as phrases for the prose:
    ``probe`` (which label the content-free "N/A" probe leans to, against how the real answers
    split), ``effect`` (raw to calibrated accuracy per order) and ``verdict`` (raised, lowered,
    left unchanged or mixed)."""
    task = TARGETS[task_name]
    probes, effects, changes = [], [], []
    for name, run in runs.items():
        free = _probabilities(run.content_free[0])
        lean = int(np.argmax(free))
        counts = Counter(run.predictions())
        split = " and ".join(f"{counts[label]} {label}" for label in task.labels)
        probes.append(f"with {name} the probe leans {task.labels[lean]} "
                      f"({free[lean]:.2f}) while the answers are {split}")
        raw, calibrated = run.accuracy, run.report(calibrated=True)["accuracy"]
        effects.append(f"from {raw:.2f} to {calibrated:.2f} with {name}")
        changes.append(np.sign(round(calibrated - raw, 9)))
    wrong_lean = ": the lean it divided out was not the lean the demonstrations put on real reviews"
    if all(c == 0 for c in changes):
        verdict = "calibration changed no score here"
    elif all(c < 0 for c in changes):
        verdict = "calibration lowered every score here" + wrong_lean
    elif all(c <= 0 for c in changes):
        verdict = "calibration raised no score here and lowered some" + wrong_lean
    elif all(c > 0 for c in changes):
        verdict = "calibration raised every score here: the probe caught the prompt's lean"
    elif all(c >= 0 for c in changes):
        verdict = "calibration lowered no score here and raised some"
    else:
        verdict = "calibration raised some scores here and lowered others"
    return {"probe": "; ".join(probes), "effect": ", ".join(effects), "verdict": verdict}


def order_figure(runs: dict[str, P.PromptRun], label: str = "positive"):
    """The probability each order's prompt gives ``label``, review by review: the same reviews
    and the same examples, only their order differs. Filled markers are right answers."""
    from tune_or_prompt.measure.plots import COLOURS, _figure

    fig, (ax,) = _figure(1, width=7.0, height=3.2)
    first = next(iter(runs.values()))
    column = first.labels.index(label)
    x = np.arange(len(first.gold))
    for i, (name, run) in enumerate(runs.items()):
        probs = _probabilities(run.scores)[:, column]
        right = np.array(run.predictions()) == np.array(run.gold)
        colour = COLOURS[i % len(COLOURS)]
        ax.plot(x, probs, color=colour, linewidth=1, alpha=0.6)
        ax.scatter(x[right], probs[right], color=colour, s=55, zorder=3,
                   label=f"order {name}: right")
        ax.scatter(x[~right], probs[~right], facecolors="white", edgecolors=colour, s=55,
                   linewidths=1.8, zorder=3, label=f"order {name}: wrong")
    ax.axhline(0.5, color="black", linestyle="--", linewidth=1)
    ax.set_xticks(x, [f"{i + 1}\n{gold}" for i, gold in enumerate(first.gold)], fontsize=9)
    ax.set_ylim(-0.03, 1.03)
    ax.set_ylabel(f"P({label})")
    ax.set_xlabel("review (true label); above the dashed line the model answers "
                  f"{label!r}")
    ax.legend(fontsize=8.5, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    return fig


def signs(demos: Sequence[dict[str, Any]], task_name: str = "sentiment") -> str:
    """A demonstration order written as signs, e.g. '+ + − −' (non-breaking spaces, so that a
    table cell does not wrap it)."""
    task = TARGETS[task_name]
    return "\u00a0".join(SIGNS.get(task.gold(d), task.gold(d)) for d in demos)


def wrap(text: str, width: int = 70) -> str:
    """``text`` with each long line wrapped for display (continuations indented by 4 spaces)."""
    import textwrap

    return "\n".join(textwrap.fill(line, width, subsequent_indent="    ") if line else ""
                     for line in text.splitlines())


def weights_fingerprint(model: Any) -> float:
    """A cheap checksum of every weight of a torch model (sum of all values in float64): equal
    before and after means no weight changed."""
    import torch

    with torch.no_grad():
        return float(sum(p.sum(dtype=torch.float64) for p in model.parameters()))


__all__ = ["GROUNDED_SYSTEM", "PRODUCT_FACTS", "context_budget", "demonstration_text",
           "demonstration_tokens",
           "grounded_messages", "order_figure", "order_table", "retrieve", "run_orders", "shots_table", "signs", "tokens",
           "tokens_per_word", "weights_fingerprint", "wrap"]

