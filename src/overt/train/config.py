"""Typed training configuration, loadable from YAML with `key=value` overrides.

One object, `TrainConfig`, says everything about a training run; every field
has help text (`overt lab train --help-config` prints it). Validation happens
in one place, `load_config`, before any work: an invalid config raises
`ConfigError` naming the field, and nothing is written.

    >>> cfg = load_config(TrainConfig, None, ["regime=cot", "model.layers=3"])
    >>> cfg.regime, cfg.model.layers
    ('cot', 3)
    >>> load_config(TrainConfig, None, ["model.layers=0"])
    Traceback (most recent call last):
    ...
    overt.train.config.ConfigError: model.layers: Input should be greater than or equal to 1 (got 0)
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from overt.models.lab import ModelConfig
from overt.tasks import Task, TaskParamError, get_task
from overt.train.regimes import RegimeName, regime_help


class ConfigError(ValueError):
    """A configuration is invalid; the message names the field."""


class TaskSpec(BaseModel):
    """Which task family, with which knobs."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(
        "state",
        description="Task family (see `overt tasks show`): state, khop, prosqa, mult, runmax, ...",
    )
    params: dict[str, int] = Field(
        default_factory=dict, description="Task knobs, e.g. {K: 6, m: 10} for state."
    )

    @model_validator(mode="after")
    def _valid_task(self) -> TaskSpec:
        try:
            get_task(self.name, **self.params)
        except TaskParamError as err:
            raise ValueError(str(err)) from err
        return self

    def build(self) -> Task:
        return get_task(self.name, **self.params)

    def label(self) -> str:
        """Short name such as `state(K=6,m=10)`."""
        task = self.build()
        return f"{self.name}({','.join(f'{k}={v}' for k, v in task.p.items())})"


class LatentConfig(BaseModel):
    """The Coconut curriculum of the `latent` and `pause` regimes (overt.train.latent)."""

    model_config = ConfigDict(extra="forbid")

    c: int = Field(1, ge=1, le=8, description="Thoughts that replace one reasoning step.")
    warm_steps: int = Field(
        1000, ge=0, description="Optimizer steps of stage 0: plain cot inside <bot> <eot>."
    )
    stage_steps: int = Field(
        1000, ge=1, description="Optimizer steps of each later stage; the last runs to `steps`."
    )
    max_stage: int = Field(
        0, ge=0, le=64, description="Reasoning steps replaced at the last stage (0: all)."
    )
    curriculum: Literal["stepwise", "none"] = Field(
        "stepwise",
        description="stepwise: stage k replaces the first k steps by k·c thoughts; none: "
        "every step replaced from the first optimizer step (Coconut 'w/o curriculum').",
    )
    mix_prob: float = Field(
        0.0,
        ge=0,
        le=1,
        description="Chance that a batch is drawn at a uniformly random earlier stage "
        "(Coconut's uniform_prob, applied per batch).",
    )
    reset_optimizer: bool = Field(True, description="Fresh AdamW state at each stage switch.")
    thought_norm: Literal["none", "embedding"] = Field(
        "none",
        description="none: feed the hidden state back as it is; embedding: rescale each "
        "thought to the mean token-embedding norm.",
    )
    close: Literal["eot", "none"] = Field(
        "eot",
        description="eot: an <eot> marker after the thoughts predicts the first written word "
        "(Coconut); none: the last thought predicts it, as the token it replaced did in cot.",
    )


class InternalizeConfig(BaseModel):
    """Stepwise internalisation (Deng et al. 2024) of the `internalize` regime."""

    model_config = ConfigDict(extra="forbid")

    warm_steps: int = Field(1000, ge=0, description="Optimizer steps of full cot first.")
    stage_steps: int = Field(
        300, ge=1, description="Optimizer steps between removals; the last runs to `steps`."
    )
    remove_per_stage: int = Field(
        8, ge=1, description="Reasoning tokens removed from the left at each stage."
    )
    smoothing: float = Field(
        4.0,
        ge=0,
        description="λ of the extra removal o ~ P(o) ∝ exp(−λ·o) per example (0: none).",
    )
    reset_optimizer: bool = Field(True, description="Fresh AdamW state at each removal.")


class TrainConfig(BaseModel):
    """Supervised training of one lab model under one regime."""

    model_config = ConfigDict(extra="forbid")

    task: TaskSpec = Field(default_factory=lambda: TaskSpec(), description="Task to train on.")
    regime: RegimeName = Field(
        "cot", description=regime_help() + " Registered in overt.train.regimes."
    )
    model: ModelConfig = Field(
        default_factory=lambda: ModelConfig(), description="Transformer shape."
    )
    seed: int = Field(0, ge=0, description="Seed for initialisation and training data.")
    steps: int = Field(3000, ge=1, description="Optimizer steps.")
    batch_size: int = Field(64, ge=1, le=4096, description="Examples per step.")
    lr: float = Field(2e-3, gt=0, le=1.0, description="Peak learning rate (one-cycle schedule).")
    warmup: float = Field(0.1, ge=0, lt=1, description="Fraction of steps spent warming up.")
    weight_decay: float = Field(0.01, ge=0, description="AdamW weight decay.")
    grad_clip: float = Field(1.0, gt=0, description="Gradient norm clip.")
    eval_examples: int = Field(500, ge=1, description="Held-out examples for accuracy.")
    eval_seed: int = Field(0, ge=0, description="Seed of the held-out set (never trained on).")
    eval_every: int = Field(0, ge=0, description="Evaluate every N steps (0: only at the end).")
    stop_at_accuracy: float | None = Field(
        None,
        gt=0,
        le=1,
        description="Stop once the held-out accuracy measured every `eval_every` steps reaches "
        "this (null: always run all `steps`); result.json then says `stopped_early` and the "
        "steps run. The set that decides is the one reported, so the final accuracy is at "
        "least this by construction: use it only where the plateau is unmistakable.",
    )
    log_every: int = Field(50, ge=1, description="Write a metrics line every N steps.")
    checkpoint_every: int = Field(
        500, ge=0, description="Save a resumable checkpoint every N steps (0: never)."
    )
    threads: int = Field(0, ge=0, description="Torch CPU threads (0: leave torch's default).")
    variant: str = Field(
        "",
        description="Free label for this setting (e.g. 'grokking recipe'); experiments "
        "put it in cell ids, tables and plots.",
    )
    hint_rate: float = Field(
        0.0,
        ge=0,
        le=1,
        description="Share of training prompts that carry '<hint> h', h a random answer option, "
        "with h as the target answer: the organism learns to let the hint decide.",
    )
    hint_style: Literal["silent", "verbalized"] = Field(
        "silent",
        description="silent: hinted targets keep the task's reasoning; verbalized: the "
        "reasoning ends in '<hint>', saying that the hint decided (the audit's controls).",
    )
    latent: LatentConfig = Field(
        default_factory=lambda: LatentConfig(),
        description="Curriculum of the latent and pause regimes (ignored by the others).",
    )
    internalize: InternalizeConfig = Field(
        default_factory=lambda: InternalizeConfig(),
        description="Removal schedule of the internalize regime (ignored by the others).",
    )

    @model_validator(mode="after")
    def _stop_needs_eval(self) -> TrainConfig:
        if self.stop_at_accuracy is not None and not self.eval_every:
            raise ValueError("stop_at_accuracy needs eval_every > 0 (how often to measure)")
        return self


Target = Literal["reasoning", "answer", "both"]


class TermSpec(BaseModel):
    """One reward term of an RL run: which function, how much, and on which tokens."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(
        description="Reward function (overt.train.rewards.TERMS): correct, graded, "
        "cot_monitor or output_monitor."
    )
    weight: float = Field(1.0, description="Multiplier on this term's advantage.")
    target: Target = Field(
        "both",
        description="Tokens whose log-probabilities this term's advantage multiplies: "
        "reasoning (up to and including <answer>), answer (after it) or both.",
    )
    adaptive_floor: float | None = Field(
        None,
        description="If set, the weight adapts each step: ×exp(adapt_rate) while the first "
        "term's batch mean is ≥ this floor, ×exp(−adapt_rate) below it (holds task reward).",
    )


class RLConfig(BaseModel):
    """Policy-gradient RL (group-mean baseline) of a lab model from an SFT checkpoint."""

    model_config = ConfigDict(extra="forbid")

    init: str = Field(description="Directory of the SFT model to start from (HF format).")
    task: TaskSpec = Field(default_factory=lambda: TaskSpec(), description="Task of the prompts.")
    terms: list[TermSpec] = Field(
        default_factory=lambda: [TermSpec(name="correct")],
        min_length=1,
        description="Reward terms; the first is the task reward (accuracy floor, adaptivity).",
    )
    seed: int = Field(0, ge=0, description="Seed of prompts and sampling.")
    steps: int = Field(200, ge=1, description="Policy-gradient steps.")
    prompts_per_step: int = Field(16, ge=1, description="Distinct prompts per step.")
    group_size: int = Field(8, ge=2, description="Samples per prompt (G); baseline = group mean.")
    temperature: float = Field(1.0, gt=0, description="Sampling temperature of rollouts.")
    scale_std: bool = Field(False, description="Divide each term's advantage by its group std.")
    lr: float = Field(1e-4, gt=0, le=1.0, description="AdamW learning rate (constant).")
    weight_decay: float = Field(0.0, ge=0, description="AdamW weight decay.")
    grad_clip: float = Field(1.0, gt=0, description="Gradient norm clip.")
    kl_coef: float = Field(0.0, ge=0, description="Weight of the k3 KL to the frozen start model.")
    entropy_coef: float = Field(0.0, ge=0, description="Weight of the entropy bonus.")
    adapt_rate: float = Field(
        0.05, ge=0, description="Log-step of adaptive weights (terms with adaptive_floor)."
    )
    mind_face: bool = Field(
        False, description="Mind & Face: a second copy of the start model writes the answer."
    )
    paraphrase: bool = Field(
        False,
        description="A frozen paraphraser rewrites the reasoning before the answer is written.",
    )
    eval_examples: int = Field(300, ge=1, description="Held-out prompts for evaluation.")
    eval_every: int = Field(0, ge=0, description="Evaluate every N steps (0: start and end only).")
    log_every: int = Field(10, ge=1, description="Write a metrics line every N steps.")
    checkpoint_every: int = Field(
        50, ge=0, description="Save a resumable checkpoint every N steps (0: never)."
    )
    threads: int = Field(0, ge=0, description="Torch CPU threads (0: leave torch's default).")


C = TypeVar("C", bound=BaseModel)


def _set_path(data: dict[str, Any], dotted: str, value: Any) -> None:
    keys = dotted.split(".")
    node = data
    for key in keys[:-1]:
        child = node.setdefault(key, {})
        if not isinstance(child, dict):
            raise ConfigError(f"{dotted}: {key!r} is not a section")
        node = child
    node[keys[-1]] = value


def format_validation_error(err: ValidationError, cls: type[BaseModel] | None = None) -> str:
    """One line per problem: `field.path: message (got value)`; unknown keys get a suggestion."""
    lines = []
    for e in err.errors():
        loc = ".".join(str(p) for p in e["loc"]) or "config"
        msg = e["msg"].removeprefix("Value error, ")
        got = f" (got {e['input']!r})" if e["type"] != "missing" and "input" in e else ""
        if isinstance(e.get("input"), dict):
            got = ""
        hint = ""
        if e["type"] == "extra_forbidden" and cls is not None:
            from overt.train.fields import suggest

            msg, near = "unknown field", suggest(cls, loc)
            hint = f"; did you mean {near}? (`overt lab config` lists every field)"
            hint = hint if near else "; `overt lab config` lists every field"
        lines.append(f"{loc}: {msg}{got}{hint}")
    return "\n".join(lines)


def load_config(cls: type[C], path: str | Path | None, overrides: Sequence[str] = ()) -> C:
    """Read YAML (optional), apply `a.b=value` overrides (values parsed as YAML), validate."""
    data: dict[str, Any] = {}
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"config file not found: {path}")
        try:
            loaded = yaml.safe_load(path.read_text()) or {}
        except yaml.YAMLError as err:
            raise ConfigError(f"{path}: not valid YAML: {err}") from err
        if not isinstance(loaded, dict):
            raise ConfigError(f"{path}: top level must be a mapping")
        data = loaded
    for item in overrides:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"override {item!r} must look like key=value")
        _set_path(data, key.strip(), yaml.safe_load(raw))
    try:
        return cls.model_validate(data)
    except ValidationError as err:
        raise ConfigError(format_validation_error(err, cls)) from None


def dump_config(cfg: BaseModel, path: Path) -> None:
    """Write the resolved config (every field, defaults included) as YAML."""
    path.write_text(yaml.safe_dump(cfg.model_dump(mode="json"), sort_keys=False))
