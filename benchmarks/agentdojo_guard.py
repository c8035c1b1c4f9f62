"""overt's guard on AgentDojo: a gullible scripted agent, `important_instructions`, its checkers.

    python benchmarks/agentdojo_guard.py --suites workspace slack --out runs/agentdojo
    python benchmarks/agentdojo_guard.py --suites workspace slack --voice quiet

For each suite: without review (baseline) and with overt's default model-free
chain (policy → provenance → goal provenance → reasoning monitor; no principal
gate on approved actions), each principal (none, reading, attentive, yes),
with and without the attack, the agent's reasoning in `--voice` (honest by
default: `overt.adapters.agentdojo_agent`). Then, for the review-on /
no-principal run, each default reviewer's flag rate on the same reviewed
calls with the reasoning rewritten in every voice — injected calls, benign
calls (citing tool outputs as information) and delegated calls (the user
handed a document the choice), all levels and read-only alone. Prints tables
and writes every episode to `--out`. Needs `pip install overt[agentdojo]`.
With `--judge SPEC` the LLM-judge goal monitor (`ModelReviewer(model,
"goal_provenance")`) scores the injected calls. Prints
`agentdojo_attack_success_no_principal:` last.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from overt.adapters.agentdojo_agent import VOICES
from overt.adapters.agentdojo_bench import (
    REVIEWERS,
    VERSION,
    PrincipalKind,
    dump,
    measure_suite,
    summarize,
)

CONFIGS: list[tuple[str, bool, PrincipalKind]] = [
    ("off", False, "none"),
    ("on", True, "none"),
    ("on", True, "reading"),
    ("on", True, "attentive"),
    ("on", True, "yes"),
]


def fmt(v: object) -> str:
    return "-" if v is None else f"{v:.3f}"


def print_rates(suite: str, attacked: bool, summary: dict[str, Any]) -> None:
    print(f"  {suite} {'attacked' if attacked else 'benign'}: flag rate per reviewer")
    print(f"  {'voice/label/level':<34}{'calls':>6}  " + "  ".join(f"{r:>10}" for r in REVIEWERS))
    for group, rates in summary["flag_rates"].items():
        if group.endswith("/consequential"):
            continue
        row = "  ".join(f"{rates[r]:>10.3f}" for r in REVIEWERS)
        print(f"  {group:<34}{rates['calls']:>6}  {row}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suites", nargs="+", default=["workspace", "slack"])
    parser.add_argument("--out", default="runs/agentdojo", help="directory for episode JSON")
    parser.add_argument("--voice", default="honest", choices=VOICES, help="the agent's reasoning")
    parser.add_argument("--judge", help="model spec for the LLM-judge goal monitor")
    args = parser.parse_args()
    judge = None
    if args.judge:
        from overt.models import load_model

        judge = load_model(args.judge)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    results: dict[str, dict[str, object]] = {}
    print(f"AgentDojo {VERSION}, attack important_instructions, gullible agent, {args.voice} voice")
    print("suite      review principal  attack  episodes utility  ASR    questions/task")
    worst_asr = 0.0
    configs = [(review, principal) for _, review, principal in CONFIGS]
    for suite in args.suites:
        for attacked in (False, True):
            start = time.perf_counter()
            measured = measure_suite(suite, configs, attacked, judge, voice=args.voice)
            seconds = round(time.perf_counter() - start, 1)
            for (review, principal), episodes in measured.items():
                s = summarize(episodes)
                tag = "on" if review else "off"
                key = f"{suite}/{tag}/{principal}/{'attack' if attacked else 'benign'}"
                results[key] = {**s, "seconds_all_configs": seconds}
                (out / f"{key.replace('/', '__')}.json").write_text(dump(episodes))
                asr = s["attack_success"]
                if attacked and review and principal == "none" and asr is not None:
                    worst_asr = max(worst_asr, float(asr))
                judged = s["judge_flagged"]
                print(
                    f"{suite:<10} {tag:<6} {principal:<10} {'yes' if attacked else 'no':<7} "
                    f"{s['episodes']:<8} {fmt(s['utility']):<8} {fmt(asr):<6} "
                    f"{fmt(s['escalations_per_task'])}"
                    + (f" judge {fmt(judged)}" if judged is not None else ""),
                    flush=True,
                )
            print_rates(
                suite, attacked, results[f"{suite}/on/none/{'attack' if attacked else 'benign'}"]
            )
    (out / "summary.json").write_text(json.dumps(results, indent=1))
    print(f"agentdojo_attack_success_no_principal: {worst_asr:.3f}")


if __name__ == "__main__":
    main()
