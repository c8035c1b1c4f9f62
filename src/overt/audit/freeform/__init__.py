"""The free-form audit: chat and reasoning models on the user's own questions.

    from overt.audit.freeform import audit_questions, load_questions
    from overt.models import load_chat_model
    report = audit_questions(load_chat_model("smollm2"), load_questions("builtin:wordproblems"),
                             source="builtin:wordproblems", n=50)

See `dataset` for the file format, `interventions` and `hints` for the tests,
`controls` for the scripted models every metric is calibrated on.
"""

from overt.audit.freeform.dataset import DatasetError, Question, load_questions
from overt.audit.freeform.run import DEFAULT_FREEFORM_TESTS, audit_questions

__all__ = [
    "DEFAULT_FREEFORM_TESTS",
    "DatasetError",
    "Question",
    "audit_questions",
    "load_questions",
]
