"""Lab models: generation with a KV cache, prefill, save/load, overt.json, vocabulary errors."""

from __future__ import annotations

import json

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from overt.models.base import ANSWER, Model, split_output
from overt.models.lab import META_FILE, LabModel, ModelConfig, ModelMeta, VocabularyError
from overt.models.latent import LatentLabModel
from overt.tasks import get_task


@pytest.fixture(scope="module")
def model() -> LabModel:
    torch.manual_seed(0)
    return LabModel.create(get_task("state").vocab(), ModelConfig(layers=2, d_model=32, heads=2))


PROMPTS = ["1 +2 -3 <think>", "4 +2 -3 +5 +6 <think> 6", "9 <think> 9 <answer>"]


def test_is_a_model(model):
    assert isinstance(model, Model)


def test_cached_batched_generation_equals_uncached(model):
    batched = model.generate(PROMPTS, max_new_tokens=6)
    single = [model.generate_uncached(p, max_new_tokens=6) for p in PROMPTS]
    assert [g.text for g in batched] == [g.text for g in single]


def test_sampling_is_seeded(model):
    a = model.generate(PROMPTS, max_new_tokens=5, temperature=1.0, seed=7)
    b = model.generate(PROMPTS, max_new_tokens=5, temperature=1.0, seed=7)
    c = model.generate(PROMPTS, max_new_tokens=5, temperature=1.0, seed=8)
    assert a == b and a != c


def test_save_load_identical_generations(model, tmp_path):
    model.save(tmp_path / "m")
    loaded = LabModel.load(tmp_path / "m")
    assert loaded.generate(PROMPTS, max_new_tokens=6) == model.generate(PROMPTS, max_new_tokens=6)
    assert (tmp_path / "m" / "model.safetensors").is_file()


def test_loads_in_plain_hugging_face(model, tmp_path):
    model.save(tmp_path / "m")
    hf = AutoModelForCausalLM.from_pretrained(tmp_path / "m")
    tok = AutoTokenizer.from_pretrained(tmp_path / "m")
    ids = tok("1 +2 <think>", return_tensors="pt").input_ids
    assert ids[0].tolist() == model.encode("1 +2 <think>")
    with torch.no_grad():
        assert torch.allclose(hf(ids).logits, model.model(ids).logits)


def test_old_overt_json_files_still_load(model, tmp_path):
    """The first lab models recorded task and regime only; latent ones a thought loop
    without the fields added since; a model made in code records nothing."""
    model.save(tmp_path / "m")
    task = {"name": "state", "params": {"K": 2, "m": 10}}
    (tmp_path / "m" / META_FILE).write_text(json.dumps({"task": task, "regime": "cot"}))
    old = LabModel.load(tmp_path / "m")
    assert old.meta == ModelMeta(task=task, regime="cot") and old.meta.split is None
    thoughts = {"mode": "latent", "n": 2, "per_step": 1}
    old_latent = {"task": task, "regime": "latent", "thoughts": thoughts, "notes": "kept"}
    (tmp_path / "m" / META_FILE).write_text(json.dumps(old_latent))
    latent = LabModel.load(tmp_path / "m")
    assert isinstance(latent, LatentLabModel) and latent.spec.close == "eot"
    latent.save(tmp_path / "again")
    assert json.loads((tmp_path / "again" / META_FILE).read_text())["notes"] == "kept"
    (tmp_path / "m" / META_FILE).unlink()
    assert LabModel.load(tmp_path / "m").meta == ModelMeta()


def test_unknown_word_is_named(model):
    with pytest.raises(VocabularyError, match="'wumpus'"):
        model.generate(["1 wumpus <think>"])


def test_not_a_model_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a model directory"):
        LabModel.load(tmp_path)


def test_heads_must_divide_width():
    with pytest.raises(ValueError, match="must divide"):
        ModelConfig(d_model=30, heads=4)


def test_split_output():
    assert split_output(f"1 2 {ANSWER} 3") == ("1 2", "3")
    assert split_output("1 2") == ("1 2", None)
