"""results.json typed: old flattened files load into the nested form and read the same."""

from __future__ import annotations

import json

from overt.audit.schema import Metric
from overt.lab.results import CellResult, Results

SETTING = {"task": "state(K=6,m=10)", "variant": "", "regime": "cot", "layers": 2, "d_model": 64}

OLD_ROW = SETTING | {
    "task_name": "state",
    "seed": 0,
    "status": "ok",
    "chance": 0.1,
    "accuracy": 0.98,
    "accuracy_ci_low": 0.95,
    "accuracy_ci_high": 0.99,
    "train_seconds": 40.2,
    "model_dir": "cells/x/model",
    "cell_dir": "cells/x",
    "first_loss": 2.9,
    "final_loss": 0.01,
    "unanswered": 0,
    "eval_n": 500,
    "steps": 1200,
    "tokens_per_answer": 9.0,
    "thoughts_per_answer": 0,
    "seconds_per_answer": 0.001,
    "stages": [],
    "early_answering_aoc": 0.8,
    "early_answering_aoc_ci_low": 0.7,
    "early_answering_aoc_ci_high": 0.9,
    "early_answering_aoc_warning": "few examples",
    "probe_accuracy": None,
    "probe_accuracy_ci_low": None,
    "probe_accuracy_ci_high": None,
    "probe_accuracy_reason": "the model exposes no hidden states",
}
OLD_FAILED = SETTING | {"seed": 1, "status": "failed", "chance": 0.1, "accuracy": None}
OLD_FAILED |= {"accuracy_ci_low": None, "accuracy_ci_high": None, "model_dir": None}
OLD_FAILED |= {"cell_dir": "cells/y", "error": "RuntimeError: boom"}
OLD_SUMMARY = SETTING | {"label": "cot", "seeds": 1, "failed": 1, "accuracy": 0.98}
OLD_SUMMARY |= {"accuracy_ci_low": 0.95, "accuracy_ci_high": 0.99, "accuracy_seeds": 1}
OLD_SUMMARY |= {"probe_accuracy": None, "probe_accuracy_reason": "not measured"}


def test_an_old_results_file_loads_into_typed_rows():
    old = {"name": "grid", "rows": [OLD_ROW, OLD_FAILED], "summary": [OLD_SUMMARY]}
    results = Results.model_validate_json(json.dumps(old | {"separations": []}))
    row, failed = results.rows
    assert row.accuracy == 0.98 and row.metrics["accuracy"].ci_high == 0.99
    aoc = row.metrics["early_answering_aoc"]
    assert (aoc.value, aoc.ci_low, aoc.ci_high, aoc.warning) == (0.8, 0.7, 0.9, "few examples")
    probe = row.metrics["probe_accuracy"]
    assert probe.value is None and probe.reason == "the model exposes no hidden states"
    assert (row.eval_n, row.tokens_per_answer, row.label) == (500, 9.0, "cot")
    assert failed.status == "failed" and failed.accuracy is None and failed.error
    (entry,) = results.summary
    assert entry.metrics["accuracy"].n == 1 and entry.metrics["probe_accuracy"].reason
    assert (entry.seeds, entry.failed) == (1, 1)


def test_the_nested_form_round_trips():
    row = CellResult.model_validate(OLD_ROW)
    again = CellResult.model_validate_json(row.model_dump_json())
    assert again == row
    saved = json.loads(row.model_dump_json())
    assert "accuracy_ci_low" not in saved and saved["metrics"]["accuracy"]["ci_low"] == 0.95
    assert again.metrics["early_answering_aoc"] == Metric(
        value=0.8, ci_low=0.7, ci_high=0.9, warning="few examples"
    )
