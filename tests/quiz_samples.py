"""Small valid questions of every type, for tests that must not depend on the real bank's text."""

from __future__ import annotations

import copy
from pathlib import Path

import yaml

COMMON = {
    "hint": "Think about what **changes**.",
    "solution": {"steps": ["First step.", "Second step."], "answer": "The answer.",
                 "check": "A quick check."},
    "mistakes": ["A common mistake."],
}

SINGLE = {"id": "two-ways/sample-single", "difficulty": "easy", "type": "single",
          "prompt": "Which one changes the weights?",
          "options": [{"text": "Prompting", "correct": False, "feedback": "It changes the input."},
                      {"text": "Fine-tuning", "correct": True, "feedback": "It trains weights."},
                      {"text": "Neither", "correct": False, "feedback": "One of them does."}],
          **COMMON}
MULTIPLE = {"id": "two-ways/sample-multiple", "difficulty": "medium", "type": "multiple",
            "prompt": "Which need labelled data?",
            "options": [{"text": "Fine-tuning", "correct": True, "feedback": "Yes: it learns from labels."},
                        {"text": "Zero-shot prompting", "correct": False, "feedback": "No examples at all."},
                        {"text": "Evaluating either", "correct": True, "feedback": "A test set needs labels."}],
            **COMMON}
NUMERIC = {"id": "two-ways/sample-numeric", "difficulty": "hard", "type": "numeric",
           "prompt": "Precision with TP=80, FP=15?", "answer": 0.842, "tolerance": 0.005,
           "feedback": {"correct": "80 / 95.", "incorrect": "Use TP / (TP + FP)."},
           "near_misses": [{"value": 0.8, "tolerance": 0.001, "feedback": "That is the recall."}],
           **COMMON}
ORDERING = {"id": "two-ways/sample-ordering", "difficulty": "medium", "type": "ordering",
            "prompt": "Put the pipeline in order.",
            "items": ["Collect data", "Format pairs", "Train", "Evaluate"],
            "feedback": {"correct": "That is the pipeline.", "incorrect": "Data comes first."},
            **COMMON}
SAMPLES = {"single": SINGLE, "multiple": MULTIPLE, "numeric": NUMERIC, "ordering": ORDERING}


def sample(kind: str, **changes) -> dict:
    """A deep copy of a sample question with top-level fields changed (None deletes a field)."""
    question = copy.deepcopy(SAMPLES[kind])
    for key, value in changes.items():
        if value is None:
            question.pop(key, None)
        else:
            question[key] = value
    return question


def write_bank(folder: Path, questions: list[dict], lesson: str = "two-ways",
               name: str = "01-two-ways.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(yaml.safe_dump({"lesson": lesson, "questions": questions}, sort_keys=False))
    return path


def all_samples() -> list[dict]:
    return [sample(kind) for kind in SAMPLES]
