"""What an approach costs, in one place: the prices (`Prices`), the size of a prompt in tokens
(`PromptSize`, counted by `tokens.TokenCounter`), every cost formula and the break-even
arithmetic.

An approach has a set-up cost (paid once: labelling, training), a cost per query (tokens sent to
a hosted model, or seconds of a serverless function) and, when it runs on a machine you rent, a
cost per day that is paid whether the machine is busy or idle. Re-training every few months adds
its cost spread over the days between runs. At a given volume the daily costs become a cost per
query, and total cost after ``n`` queries is ``setup + n * effective cost per query``. The
dearer approach to set up pays for itself once the other one's extra cost per query has added up
to the difference; when it is not cheaper per query at that volume, it never does.

How a model is served is the learner's choice:

- **hosted, per token** (`hosted_prompt`): input and output tokens at a vendor's price, with the
  cached-input price, the cache-write premium, reasoning tokens billed as output where the model
  bills them, and the batch discount (``small API``, ``open 1-8B``, ``frontier API``: the models
  each role names in the dated price file ``data/prices.yaml``);
- **a hosted fine-tuned model** (`hosted_finetuning_costs`): the vendor trains it (per training
  token) and then charges its own, higher, per-token price;
- **self-hosted** (`Serving`): an always-on instance paid by the hour at a planned utilisation,
  or a serverless function paid per second of use plus a fee per request.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tune_or_prompt.ground.prices import PRICE_LIST, ROLES, PriceList

# ---------------------------------------------------------------------------------------------
# Prices: every editable input, read from the dated price file
# ---------------------------------------------------------------------------------------------


SMALL_API, FRONTIER_API, OPEN_MODEL, FINETUNED_API = ROLES
HOSTED = {SMALL_API: "", OPEN_MODEL: "open_", FRONTIER_API: "frontier_",
          FINETUNED_API: "finetuned_"}  # a hosted model -> the prefix of its `Prices` fields


def _defaults(prices: PriceList = PRICE_LIST) -> dict[str, Any]:
    """`Prices` field values read from the dated price file (``data/prices.yaml``)."""
    values: dict[str, Any] = {key: prices.serving_value(key) for key in (
        "usd_per_cpu_hour", "serverless_usd_per_gb_second",
        "serverless_usd_per_million_requests", "serverless_gb_per_vcpu")}
    for role, prefix in HOSTED.items():
        model = prices.by_role(role)
        values.update({f"{prefix}usd_per_million_input_tokens": model.input,
                       f"{prefix}usd_per_million_output_tokens": model.output,
                       f"{prefix}cached_input_share": model.cached_share,
                       f"{prefix}cache_write_share": model.write_share,
                       f"{prefix}bills_reasoning": model.bills_reasoning,
                       f"{prefix}cache_min_tokens": model.cache_min_tokens or 0})
    values["finetuning_usd_per_million_training_tokens"] = (
        prices.by_role(FINETUNED_API).training or 0.0)
    values["batch_share"] = prices.batch.share
    values.update(prices.assumptions.model_dump())
    return values


_D = _defaults()


@dataclass(frozen=True)
class Prices:
    """What compute, tokens and labels cost, in USD. Every default is read from the dated price
    file ``data/prices.yaml`` (`tune_or_prompt.ground.prices`), which names each price's model,
    source page and the day it was read; pass your own values to price your provider.

    Token prices are per million tokens, for the model each role names in the file ("small
    API", "frontier API", "open 1-8B", "fine-tuned API"). ``*cached_input_share`` is the
    cached-input price as a share of the input price, ``*cache_write_share`` the price of
    writing the cache as a share of it (1.0: no premium), ``*bills_reasoning`` whether the model
    bills thinking tokens as output, and ``*cache_min_tokens`` the shortest prompt the vendor
    caches (0 where none was found)."""

    usd_per_cpu_hour: float = _D["usd_per_cpu_hour"]
    instance_vcpus: int = 2  # the always-on instance: an EC2 c7i.large, billed every hour
    serverless_usd_per_gb_second: float = _D["serverless_usd_per_gb_second"]
    serverless_usd_per_million_requests: float = _D["serverless_usd_per_million_requests"]
    serverless_gb_per_vcpu: float = _D["serverless_gb_per_vcpu"]
    usd_per_million_input_tokens: float = _D["usd_per_million_input_tokens"]
    usd_per_million_output_tokens: float = _D["usd_per_million_output_tokens"]
    cached_input_share: float = _D["cached_input_share"]
    cache_write_share: float = _D["cache_write_share"]
    bills_reasoning: bool = _D["bills_reasoning"]
    cache_min_tokens: int = _D["cache_min_tokens"]
    frontier_usd_per_million_input_tokens: float = _D["frontier_usd_per_million_input_tokens"]
    frontier_usd_per_million_output_tokens: float = _D["frontier_usd_per_million_output_tokens"]
    frontier_cached_input_share: float = _D["frontier_cached_input_share"]
    frontier_cache_write_share: float = _D["frontier_cache_write_share"]
    frontier_bills_reasoning: bool = _D["frontier_bills_reasoning"]
    frontier_cache_min_tokens: int = _D["frontier_cache_min_tokens"]
    open_usd_per_million_input_tokens: float = _D["open_usd_per_million_input_tokens"]
    open_usd_per_million_output_tokens: float = _D["open_usd_per_million_output_tokens"]
    open_cached_input_share: float = _D["open_cached_input_share"]
    open_cache_write_share: float = _D["open_cache_write_share"]
    open_bills_reasoning: bool = _D["open_bills_reasoning"]
    open_cache_min_tokens: int = _D["open_cache_min_tokens"]
    finetuned_usd_per_million_input_tokens: float = _D["finetuned_usd_per_million_input_tokens"]
    finetuned_usd_per_million_output_tokens: float = _D["finetuned_usd_per_million_output_tokens"]
    finetuned_cached_input_share: float = _D["finetuned_cached_input_share"]
    finetuned_cache_write_share: float = _D["finetuned_cache_write_share"]
    finetuned_bills_reasoning: bool = _D["finetuned_bills_reasoning"]
    finetuned_cache_min_tokens: int = _D["finetuned_cache_min_tokens"]
    finetuning_usd_per_million_training_tokens: float = (
        _D["finetuning_usd_per_million_training_tokens"])
    batch_share: float = _D["batch_share"]
    reasoning_tokens_per_answer: float = _D["reasoning_tokens_per_answer"]
    requests_per_cache_write: float = _D["requests_per_cache_write"]
    usd_per_label: float = _D["usd_per_label"]

    def _prefix(self, model: str) -> str:
        try:
            return HOSTED[model]
        except KeyError:
            raise ValueError(f"unknown hosted model {model!r}: choose from "
                             f"{', '.join(HOSTED)}") from None

    def token_prices(self, model: str) -> tuple[float, float]:
        """USD per million input and output tokens of a hosted ``model`` (see `HOSTED`)."""
        prefix = self._prefix(model)
        return (getattr(self, f"{prefix}usd_per_million_input_tokens"),
                getattr(self, f"{prefix}usd_per_million_output_tokens"))

    def cache_terms(self, model: str) -> tuple[float, float, int]:
        """A hosted ``model``'s cached-input share, cache-write share and caching minimum."""
        prefix = self._prefix(model)
        return (getattr(self, f"{prefix}cached_input_share"),
                getattr(self, f"{prefix}cache_write_share"),
                getattr(self, f"{prefix}cache_min_tokens"))

    def bills_reasoning_for(self, model: str) -> bool:
        """Whether a hosted ``model`` bills thinking tokens as output."""
        return getattr(self, f"{self._prefix(model)}bills_reasoning")


PRICES = Prices()


def model_name(model: str, prices: PriceList = PRICE_LIST) -> str:
    """The named model behind a role such as ``"small API"`` (``"Claude Haiku 5.5"``)."""
    return prices.by_role(model).name


def priced_as(model: str, prices: PriceList = PRICE_LIST) -> str:
    """What a cost table says about its prices: the model and the day they were checked."""
    return f"{model_name(model, prices)} ({model}), {prices.checked_text(model)}"


def price_columns(*models: str, prices: Prices | None = None,
                  price_list: PriceList = PRICE_LIST) -> dict[str, str]:
    """The two columns every cost table carries: the model(s) its token prices are those of,
    and the day they were checked. With no ``models``, the serving prices (machines and
    functions you rent). Prices edited away from the file's say so instead."""
    if prices is not None and prices != PRICES:
        return {"priced as": "your own prices", "prices checked on": "—"}
    if not models:
        day = min(entry.checked for entry in price_list.serving)
        return {"priced as": "AWS EC2 and Lambda (serving)",
                "prices checked on": f"{day:%-d %b %Y}"}
    days = dict.fromkeys(f"{price_list.by_role(m).checked:%-d %b %Y}" for m in models)
    return {"priced as": " / ".join(model_name(m, price_list) for m in models),
            "prices checked on": " / ".join(days)}


# ---------------------------------------------------------------------------------------------
# Tokens: the one place that counts what a prompt sends
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PromptSize:
    """Mean token counts of the parts of a k-shot classification prompt."""

    header: float  # instruction and label descriptions, sent with every request
    per_demo: float  # what one demonstration adds
    query: float  # the message to classify, with its "Message: ... Answer:" framing

    def tokens(self, k: int) -> float:
        """Input tokens of one request with k demonstrations."""
        return self.header + k * self.per_demo + self.query

    def prefix(self, k: int) -> float:
        """The part every request repeats (instruction and demonstrations): what a vendor's
        prompt cache can serve."""
        return self.header + k * self.per_demo

    def times_query(self, k: int) -> float:
        """How many times the query alone one k-shot request is (the (k+1)x rule, header
        included)."""
        return self.tokens(k) / self.query


def measure_prompt_size(counter: Any, task_name: str = "intent",
                        demos: Sequence[dict[str, Any]] | None = None,
                        queries: Sequence[dict[str, Any]] | None = None) -> PromptSize:
    """Token counts of the course's plain k-shot prompt, measured on real rows with ``counter``
    (a `TokenCounter`, or anything with its ``count``).

    Demonstrations default to the task's training split, queries to its test split. Each
    demonstration is measured as the difference it makes to a prompt, so the count is exactly
    what the model reads."""
    import numpy as np

    from tune_or_prompt.approaches.prompting import plain_prompt
    from tune_or_prompt.ground.data import load
    from tune_or_prompt.ground.registry import TARGETS

    task = TARGETS[task_name]
    demos = list(demos if demos is not None else load(task.dataset, "train"))
    queries = list(queries if queries is not None else load(task.dataset, "test"))
    probe = queries[0]["text"]
    header, bare = counter.count([plain_prompt(task, [], "").split("Message: ")[0],
                                  plain_prompt(task, [], probe)])
    with_demo = counter.count([plain_prompt(task, [d], probe) for d in demos])
    queried = counter.count([plain_prompt(task, [], q["text"]) for q in queries])
    return PromptSize(float(header), float(np.mean(with_demo)) - bare,
                      float(np.mean(queried)) - header)


def prompt_tokens(counter: Any, task_name: str, k: int, texts: Sequence[str],
                  seed: int = 0) -> list[int]:
    """Tokens of the exact k-shot prompts Lab 1 sends for ``texts`` (its demonstrations chosen
    with ``seed``), counted with ``counter``."""
    from tune_or_prompt.approaches.prompting import choose_demos, plain_prompt
    from tune_or_prompt.ground.registry import TARGETS

    task = TARGETS[task_name]
    demos = choose_demos(task, k, seed=seed)
    return counter.count([plain_prompt(task, demos, text) for text in texts])


# ---------------------------------------------------------------------------------------------
# The cost model and the break-even
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CostModel:
    """One approach's costs in USD: once, per query, and per day whatever the traffic.

    ``usd_per_day`` (an always-on instance, re-training spread over its period) is shared by
    the ``queries_per_day`` the model was priced for; `effective_per_query_usd` adds that share
    to ``per_query_usd``."""

    name: str
    setup_usd: float
    per_query_usd: float
    usd_per_day: float = 0.0
    queries_per_day: float | None = None
    basis: str = ""  # how it is priced, in words

    def __post_init__(self) -> None:
        for field_name in ("setup_usd", "per_query_usd", "usd_per_day"):
            value = getattr(self, field_name)
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"{self.name}: {field_name} must be a finite number >= 0, "
                                 f"not {value!r}")
        if self.usd_per_day and not (self.queries_per_day and self.queries_per_day > 0):
            raise ValueError(f"{self.name}: a cost per day needs queries_per_day > 0 to be "
                             "shared out")

    @property
    def effective_per_query_usd(self) -> float:
        """Per-query cost with the daily costs shared over the day's queries."""
        daily = self.usd_per_day / self.queries_per_day if self.usd_per_day else 0.0
        return self.per_query_usd + daily

    def total(self, queries: float) -> float:
        """What serving ``queries`` requests costs in all, set-up included (at the volume the
        model was priced for)."""
        return self.setup_usd + queries * self.effective_per_query_usd

    def usd_per_1000(self) -> float:
        """USD per 1,000 queries, daily costs included."""
        return 1000 * self.effective_per_query_usd


def break_even(a: CostModel, b: CostModel) -> float:
    """The number of queries after which the two approaches have cost the same.

    ``math.inf`` when the lines never cross (the approach that is dearer to set up is not
    cheaper per query), ``0.0`` when one is never dearer at all."""
    setup_gap = a.setup_usd - b.setup_usd
    query_gap = b.effective_per_query_usd - a.effective_per_query_usd
    if setup_gap == 0:
        return 0.0
    if query_gap == 0 or (setup_gap > 0) != (query_gap > 0):
        return math.inf
    return setup_gap / query_gap


def days_to_break_even(a: CostModel, b: CostModel, queries_per_day: float) -> float:
    """`break_even` in days of traffic (models with daily costs must be priced at this
    volume)."""
    if queries_per_day <= 0:
        raise ValueError(f"queries_per_day must be > 0, not {queries_per_day!r}")
    for model in (a, b):
        if model.usd_per_day and not math.isclose(model.queries_per_day, queries_per_day):
            raise ValueError(f"{model.name} was priced for {model.queries_per_day:,.0f} "
                             f"queries a day, not {queries_per_day:,.0f}")
    return break_even(a, b) / queries_per_day


def why_never(tuned: CostModel, other: CostModel) -> str | None:
    """Why ``tuned`` (dearer to set up) never pays for itself against ``other``, in words;
    None when it does."""
    if math.isfinite(break_even(tuned, other)):
        return None
    if tuned.setup_usd <= other.setup_usd:
        return None
    mine, theirs = tuned.usd_per_1000(), other.usd_per_1000()
    fixed = (f"; ${tuned.usd_per_day:,.2f} of it is paid every day whatever the traffic"
             if tuned.usd_per_day else "")
    return (f"{tuned.name} costs ${mine:,.4f} per 1,000 queries{fixed}, and {other.name} "
            f"${theirs:,.4f}: it is not cheaper per query, so its set-up is never paid back")


def break_even_table(models: Sequence[CostModel],
                     queries_per_day: float) -> list[dict[str, float | str | None]]:
    """One row per model: its set-up cost, its cost per day paid whatever the traffic, its
    cost per 1,000 queries (daily costs shared out) and, against the last model, the
    break-even in queries and in days of traffic at ``queries_per_day``."""
    reference = models[-1]
    rows: list[dict[str, float | str | None]] = []
    for model in models:
        other = model is not reference
        rows.append({
            "approach": model.name, "set-up (USD)": model.setup_usd,
            "fixed USD per day": model.usd_per_day,
            "USD per 1,000 queries": model.usd_per_1000(),
            f"break-even vs {reference.name} (queries)":
                break_even(model, reference) if other else None,
            "days at this volume":
                days_to_break_even(model, reference, queries_per_day) if other else None})
    return rows


def cost_curves(models: Sequence[CostModel], horizon: float,
                points: int = 200) -> dict[str, list[tuple[float, float]]]:
    """Total cost at ``points`` query counts from 0 to ``horizon``, per approach."""
    step = horizon / max(points - 1, 1)
    return {m.name: [(i * step, m.total(i * step)) for i in range(points)] for m in models}


# ---------------------------------------------------------------------------------------------
# Formulas: tokens, CPU time, serving, labels, training, re-training
# ---------------------------------------------------------------------------------------------


def cpu_usd(cpu_seconds: float, prices: Prices = PRICES) -> float:
    """USD for ``cpu_seconds`` of busy CPU time at the on-demand vCPU price (a training run, or
    the compute share of one request; an idle server is not in it: see `Serving`)."""
    return cpu_seconds / 3600 * prices.usd_per_cpu_hour


def cpu_cost_per_1000(cpu_seconds_per_prediction: float, prices: Prices = PRICES) -> float:
    """USD per 1,000 predictions of busy CPU time alone (see `cpu_usd`)."""
    return 1000 * cpu_usd(cpu_seconds_per_prediction, prices)


def token_usd(input_tokens: float, output_tokens: float = 1.0, prices: Prices = PRICES,
              model: str = SMALL_API, cached_tokens: float = 0.0, batch: bool = False,
              reasoning_tokens: float | None = None, requests: int = 1) -> float:
    """USD for one request to a hosted ``model`` priced per token.

    ``cached_tokens`` of the input (a prefix every request repeats) are served from the
    vendor's prompt cache when the whole input reaches its caching minimum: one request in
    ``prices.requests_per_cache_write`` writes the cache (at the cache-write price) and the
    others read it (at the cached-input price). A model that bills reasoning tokens is charged
    ``reasoning_tokens`` more output tokens (default: ``prices.reasoning_tokens_per_answer`` for
    each of the query's ``requests``, a ticket asking two prompts thinks twice);
    ``batch`` takes the batch discount (answers within a day, not at once)."""
    input_price, output_price = prices.token_prices(model)
    read_share, write_share, minimum = prices.cache_terms(model)
    cached = min(cached_tokens, input_tokens) if input_tokens >= minimum else 0.0
    per_write = prices.requests_per_cache_write
    prefix_share = (write_share + (per_write - 1) * read_share) / per_write
    thinking = 0.0
    if prices.bills_reasoning_for(model):
        thinking = (requests * prices.reasoning_tokens_per_answer if reasoning_tokens is None
                    else reasoning_tokens)
    usd = ((input_tokens - cached + cached * prefix_share) * input_price
           + (output_tokens + thinking) * output_price) / 1e6
    return usd * (prices.batch_share if batch else 1.0)


def token_cost_per_1000(input_tokens: float, output_tokens: float = 1,
                        prices: Prices = PRICES, model: str = SMALL_API,
                        reasoning_tokens: float | None = None) -> float:
    """USD per 1,000 requests to a hosted model at the given tokens per request (no cache;
    ``reasoning_tokens`` as in `token_usd`)."""
    return 1000 * token_usd(input_tokens, output_tokens, prices, model,
                            reasoning_tokens=reasoning_tokens)


def input_cost_per_1000(tokens: float, prefix_tokens: float, model: str = SMALL_API,
                        prices: Prices = PRICES) -> tuple[float, float]:
    """USD per 1,000 requests of ``tokens`` input tokens alone (no answer, no thinking), at a
    hosted ``model``'s current prices: (every token at the input price, the ``prefix_tokens``
    served from the prompt cache). What a stored run's token counts cost today."""
    return (1000 * token_usd(tokens, 0, prices, model, reasoning_tokens=0),
            1000 * token_usd(tokens, 0, prices, model, cached_tokens=prefix_tokens,
                             reasoning_tokens=0))


ALWAYS_ON, SERVERLESS = "always-on", "serverless"


@dataclass(frozen=True)
class Serving:
    """How a model you run yourself is paid for.

    ``always-on``: instances (``Prices.instance_vcpus`` vCPUs each) billed every hour, busy or
    idle, each kept at most ``utilisation`` busy so that peaks still get fast answers; at low
    volume the one instance you cannot do without is nearly all of the cost. ``serverless``:
    billed per second of use (memory x time) plus a fee per request, nothing while idle."""

    kind: str = ALWAYS_ON
    utilisation: float = 0.5

    def __post_init__(self) -> None:
        if self.kind not in (ALWAYS_ON, SERVERLESS):
            raise ValueError(f"serving kind must be {ALWAYS_ON!r} or {SERVERLESS!r}, "
                             f"not {self.kind!r}")
        if not 0 < self.utilisation <= 1:
            raise ValueError(f"utilisation must be in (0, 1], not {self.utilisation!r}")

    def instances(self, cpu_seconds_per_query: float, queries_per_day: float,
                  prices: Prices = PRICES) -> int:
        """Always-on instances needed to serve ``queries_per_day`` at this utilisation."""
        capacity = 86_400 * prices.instance_vcpus * self.utilisation  # CPU-s a day each
        return max(1, math.ceil(queries_per_day * cpu_seconds_per_query / capacity))

    def costs(self, cpu_seconds_per_query: float, queries_per_day: float,
              prices: Prices = PRICES) -> tuple[float, float]:
        """(USD per query, USD per day whatever the traffic) of serving a model that takes
        ``cpu_seconds_per_query``."""
        if self.kind == SERVERLESS:
            per_query = (cpu_seconds_per_query * prices.serverless_gb_per_vcpu
                         * prices.serverless_usd_per_gb_second
                         + prices.serverless_usd_per_million_requests / 1e6)
            return per_query, 0.0
        hourly = prices.instance_vcpus * prices.usd_per_cpu_hour
        return 0.0, 24 * hourly * self.instances(cpu_seconds_per_query, queries_per_day, prices)

    def describe(self, prices: Prices = PRICES) -> str:
        if self.kind == SERVERLESS:
            return "serverless, billed per second of use and per request"
        return (f"always-on {prices.instance_vcpus}-vCPU instance(s) at most "
                f"{self.utilisation:.0%} busy, billed every hour")


DEFAULT_SERVING = Serving()  # always-on, at most half busy


def labelling_usd(labelled_examples: int, prices: Prices = PRICES) -> float:
    """What labelling ``labelled_examples`` costs."""
    return labelled_examples * prices.usd_per_label


def retraining_usd_per_day(retrain_usd: float, every_months: float | None) -> float:
    """A re-training run every ``every_months`` months, spread over the days between runs."""
    if not every_months:
        return 0.0
    return retrain_usd / (every_months * 365.25 / 12)


def hosted_prompt(prompt_tokens: float, *, model: str = SMALL_API, output_tokens: float = 1.0,
                  cached_tokens: float = 0.0, batch: bool = False, labelled_examples: int = 0,
                  prices: Prices = PRICES, name: str | None = None,
                  requests: int = 1, reasoning_tokens: float | None = None) -> CostModel:
    """A prompt sent to a hosted ``model``, paid per token; set-up: its labelled examples.
    ``requests`` and ``reasoning_tokens`` per query as in `token_usd` (a query of several
    requests thinks in each; measured thinking replaces the assumption)."""
    per_query = token_usd(prompt_tokens, output_tokens, prices, model, cached_tokens, batch,
                          reasoning_tokens=reasoning_tokens, requests=requests)
    basis = f"{model}, per token" + (", batch" if batch else "")
    return CostModel(name or f"prompt ({model})", labelling_usd(labelled_examples, prices),
                     per_query, basis=basis)


def self_hosted(name: str, cpu_seconds_per_query: float, queries_per_day: float, *,
                setup_usd: float = 0.0, serving: Serving = DEFAULT_SERVING, prices: Prices = PRICES,
                retrain_usd: float = 0.0, retrain_every_months: float | None = None
                ) -> CostModel:
    """A model you serve yourself (see `Serving`), priced at ``queries_per_day``."""
    per_query, per_day = serving.costs(cpu_seconds_per_query, queries_per_day, prices)
    per_day += retraining_usd_per_day(retrain_usd, retrain_every_months)
    return CostModel(name, setup_usd, per_query, per_day, queries_per_day,
                     serving.describe(prices))


def prompting_costs(labelled_examples: int, cpu_seconds_per_query: float | None = None,
                    prompt_tokens: float | None = None, prices: Prices = PRICES,
                    name: str = "prompting", *, queries_per_day: float | None = None,
                    serving: Serving = DEFAULT_SERVING, model: str = SMALL_API,
                    output_tokens: float = 1.0, cached_tokens: float = 0.0,
                    batch: bool = False, requests: int = 1,
                    reasoning_tokens: float | None = None) -> CostModel:
    """Prompting: label the demonstrations once; each query costs tokens (a hosted model:
    give ``prompt_tokens``; ``reasoning_tokens`` as in `token_usd`) or serving time (a model
    you run: give ``cpu_seconds_per_query`` and ``queries_per_day``)."""
    if (cpu_seconds_per_query is None) == (prompt_tokens is None):
        raise ValueError("give exactly one of cpu_seconds_per_query or prompt_tokens")
    if prompt_tokens is not None:
        return hosted_prompt(prompt_tokens, model=model, output_tokens=output_tokens,
                             cached_tokens=cached_tokens, batch=batch,
                             labelled_examples=labelled_examples, prices=prices, name=name,
                             requests=requests, reasoning_tokens=reasoning_tokens)
    if queries_per_day is None:
        raise ValueError("a model you run yourself needs queries_per_day: its server is paid "
                         "for whether busy or idle")
    return self_hosted(name, cpu_seconds_per_query, queries_per_day,
                       setup_usd=labelling_usd(labelled_examples, prices), serving=serving,
                       prices=prices)


def finetuning_costs(labelled_examples: int, train_cpu_seconds: float,
                     cpu_seconds_per_query: float, prices: Prices = PRICES,
                     name: str = "fine-tuning", *, queries_per_day: float,
                     serving: Serving = DEFAULT_SERVING, retrain_every_months: float | None = None,
                     relabel: int = 0, extra_setup_usd: float = 0.0) -> CostModel:
    """Fine-tuning a model you serve yourself: label the training set and train once, then
    pay for serving it (see `Serving`). A re-training run every ``retrain_every_months``
    repeats the training and labels ``relabel`` new examples."""
    training = cpu_usd(train_cpu_seconds, prices)
    setup = labelling_usd(labelled_examples, prices) + training + extra_setup_usd
    return self_hosted(name, cpu_seconds_per_query, queries_per_day, setup_usd=setup,
                       serving=serving, prices=prices,
                       retrain_usd=training + labelling_usd(relabel, prices),
                       retrain_every_months=retrain_every_months)


def hosted_finetuning_costs(labelled_examples: int, training_tokens: float,
                            query_tokens: float, prices: Prices = PRICES,
                            name: str = "fine-tuned API", *, epochs: int = 3,
                            output_tokens: float = 1.0, queries_per_day: float | None = None,
                            retrain_every_months: float | None = None,
                            relabel: int = 0) -> CostModel:
    """A model the vendor fine-tunes: labels and ``epochs`` passes over ``training_tokens``
    once, then every query (no demonstrations: ``query_tokens``) at the fine-tuned model's own
    per-token price."""
    training = epochs * training_tokens * prices.finetuning_usd_per_million_training_tokens / 1e6
    per_query = token_usd(query_tokens, output_tokens, prices, FINETUNED_API)
    per_day = retraining_usd_per_day(training + labelling_usd(relabel, prices),
                                     retrain_every_months)
    return CostModel(name, labelling_usd(labelled_examples, prices) + training, per_query,
                     per_day, queries_per_day if per_day else None,
                     "fine-tuned API, per token")


def price_table(prices: PriceList = PRICE_LIST) -> list[dict[str, Any]]:
    """Every hosted model's prices, one row each, in words (what Lesson 5 shows); the serving
    prices are in `serving_price_table`."""
    from tune_or_prompt.ground.prices import price_rows

    return price_rows(prices)


def serving_price_table(prices: PriceList = PRICE_LIST) -> list[dict[str, Any]]:
    """What a machine or function you rent costs, one row each, in words."""
    from tune_or_prompt.ground.prices import serving_rows

    return serving_rows(prices)
