"""A local Hugging Face model (a GPT-2 the test builds and saves itself) behind `Model`."""

from __future__ import annotations

import pytest
import torch
from transformers import GPT2Config, GPT2LMHeadModel

from overt.models import load_model
from overt.models.hf import HFModel
from overt.models.lab import build_tokenizer


@pytest.fixture(scope="module")
def gpt2_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("gpt2")
    tok = build_tokenizer([str(i) for i in range(10)])
    vocab = tok.get_vocab()
    torch.manual_seed(0)
    model = GPT2LMHeadModel(
        GPT2Config(
            vocab_size=len(vocab),
            n_embd=32,
            n_layer=2,
            n_head=2,
            n_positions=64,
            bos_token_id=vocab["<bos>"],
            eos_token_id=vocab["<eos>"],
            pad_token_id=vocab["<pad>"],
        )
    )
    model.save_pretrained(path)
    tok.save_pretrained(path)
    return path


def _greedy(model, ids, n):
    ids = list(ids)
    for _ in range(n):
        with torch.no_grad():
            ids.append(int(model(torch.tensor([ids])).logits[0, -1].argmax()))
    return ids


def test_hf_model_generates_like_a_plain_greedy_loop(gpt2_dir):
    model = HFModel(gpt2_dir)
    assert load_model(str(gpt2_dir)).name == model.name
    prompts = ["1 2 3", "4 5 6 7 8"]
    outs = model.generate(prompts, max_new_tokens=5)
    for prompt, out in zip(prompts, outs, strict=True):
        ids = model.tokenizer(prompt).input_ids
        expected = _greedy(model.model, ids, 5)[len(ids) :]
        eos = model.tokenizer.eos_token_id
        expected = expected[: expected.index(eos)] if eos in expected else expected
        assert out.text == model.tokenizer.decode(expected)


def test_not_a_local_model(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a local Hugging Face model"):
        HFModel(tmp_path)
    with pytest.raises(FileNotFoundError, match="not a model directory"):
        load_model(str(tmp_path / "nope"))
    with pytest.raises(ValueError, match="URL#MODEL"):
        load_model("openai:http://x")
