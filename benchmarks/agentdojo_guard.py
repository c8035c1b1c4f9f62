"""overt's guard on AgentDojo: a gullible scripted agent, `important_instructions`, its checkers.

    python benchmarks/agentdojo_guard.py --suites workspace slack --out runs/agentdojo
    python benchmarks/agentdojo_guard.py --suites banking travel --out runs/agentdojo-heldout

For each suite: without review (baseline) and with overt's default model-free
chain (policy → provenance → goal-provenance monitor; no principal gate on
approved actions), each principal (none, attentive, yes), with and without
the attack. Prints a table and writes every episode to `--out`. Needs
`pip install overt[agentdojo]`. With `--judge SPEC` the LLM-judge version of
the goal monitor (`ModelReviewer(model, "goal_provenance")`) scores the same
injected calls. Prints `agentdojo_attack_success_no_principal:` last.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from overt.adapters.agentdojo_bench import VERSION, PrincipalKind, dump, measure_suite, summarize

CONFIGS: list[tuple[str, bool, PrincipalKind]] = [
    ("off", False, "none"),
    ("on", True, "none"),
    ("on", True, "attentive"),
    ("on", True, "yes"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suites", nargs="+", default=["workspace", "slack"])
    parser.add_argument("--out", default="runs/agentdojo", help="directory for episode JSON")
    parser.add_argument("--judge", help="model spec for the LLM-judge goal monitor")
    args = parser.parse_args()
    judge = None
    if args.judge:
        from overt.models import load_model

        judge = load_model(args.judge)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    results: dict[str, dict[str, object]] = {}
    print(f"AgentDojo {VERSION}, attack important_instructions, gullible scripted agent")
    header = (
        "suite      review principal  attack  episodes utility  ASR    esc/task  "
        "monitor (all / consequential injected calls)"
    )
    print(header)
    worst_asr = 0.0
    configs = [(review, principal) for _, review, principal in CONFIGS]
    fmt = lambda v: "-" if v is None else f"{v:.3f}"  # noqa: E731
    for suite in args.suites:
        for attacked in (False, True):
            start = time.perf_counter()
            measured = measure_suite(suite, configs, attacked, judge)
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
                    f"{fmt(s['escalations_per_task']):<9} {fmt(s['monitor_flagged'])} / "
                    f"{fmt(s['monitor_flagged_consequential'])}"
                    + (f" judge {fmt(judged)}" if judged is not None else ""),
                    flush=True,
                )
    (out / "summary.json").write_text(json.dumps(results, indent=1))
    print(f"agentdojo_attack_success_no_principal: {worst_asr:.3f}")


if __name__ == "__main__":
    main()
