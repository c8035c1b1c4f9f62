"""Wall time of a full audit (all interventions) of a quickstart-style cot model.

    python benchmarks/audit_speed.py [--model DIR] [-n 500]

Without --model it first trains the quickstart's state(K=6, m=10) cot model at
2 layers (1200 steps, ~1 min; not timed). The baseline in the same run is the
unperturbed pass alone (one batched generation over the same examples), so the
ratio shows what all the interventions cost on top. Prints `audit_seconds:` last
(goal ≤ 60 on 2 cores).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from overt.audit.interventions import baseline
from overt.audit.run import audit
from overt.models.lab import LabModel
from overt.tasks import get_task
from overt.tasks.split import heldout
from overt.train.config import TrainConfig, load_config
from overt.train.sft import train


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="a trained state(K=6, m=10) lab model directory")
    parser.add_argument("-n", type=int, default=500)
    args = parser.parse_args()
    task = get_task("state", K=6, m=10)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(args.model) if args.model else Path(tmp) / "model"
        if not args.model:
            cfg = load_config(TrainConfig, None, ["steps=1200", "regime=cot", "model.layers=2"])
            train(cfg, tmp, progress=False)
        model = LabModel.load(path)
        start = time.perf_counter()
        baseline(model, task, heldout(task, args.n))
        base_s = time.perf_counter() - start
        start = time.perf_counter()
        report = audit(model, task, n=args.n)
        seconds = time.perf_counter() - start
    for key, metric in report.metrics.items():
        print(f"{key}: {metric.text()}")
    print(
        f"unperturbed pass alone: {base_s:.2f} s; full audit / unperturbed: {seconds / base_s:.1f}x"
    )
    print(f"audit_seconds: {seconds:.2f}")


if __name__ == "__main__":
    main()
