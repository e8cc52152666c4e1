"""The data the browser view needs, produced from the validated bank (no second answer key)."""

from __future__ import annotations

from typing import Any

from tune_or_prompt.course.pages import BY_SLUG

from .grading import shuffled_order
from .render import md_block, md_inline
from .schema import Question


def question_payload(q: Question) -> dict[str, Any]:
    """Everything the static view shows and grades with, Markdown already rendered safely."""
    data: dict[str, Any] = {
        "id": q.id,
        "type": q.type,
        "difficulty": q.difficulty,
        "lesson": q.lesson,
        "lessonTitle": BY_SLUG[q.lesson].title if q.lesson in BY_SLUG else q.lesson,
        "prompt": md_block(q.prompt),
        "hint": md_inline(q.hint),
        "solution": {
            "steps": [md_inline(s) for s in q.solution.steps],
            "answer": md_inline(q.solution.answer),
            "check": md_inline(q.solution.check),
        },
        "mistakes": [md_inline(m) for m in q.mistakes],
    }
    if q.type in ("single", "multiple"):
        data["options"] = [md_inline(o.text) for o in q.options]
        data["key"] = {
            "correct": [i for i, o in enumerate(q.options) if o.correct],
            "feedback": [md_inline(o.feedback) for o in q.options],
        }
    elif q.type == "numeric":
        data["unit"] = q.unit
        data["key"] = {
            "answer": q.answer,
            "tolerance": q.tolerance,
            "near": [
                {"value": m.value, "tolerance": m.tolerance, "feedback": md_inline(m.feedback)}
                for m in q.near_misses
            ],
            "correct": md_inline(q.feedback_correct),
            "incorrect": md_inline(q.feedback_incorrect),
        }
    else:
        data["items"] = [md_inline(item) for item in q.items]
        data["start"] = list(shuffled_order(q))
        data["key"] = {
            "correct": md_inline(q.feedback_correct),
            "incorrect": md_inline(q.feedback_incorrect),
        }
    return data


def _built_pages() -> set[str] | None:
    """The pages the book's table of contents lists, or None outside the course folder."""
    from tune_or_prompt.course.notebooks import repo_root
    from tune_or_prompt.course.pages import toc_files

    try:
        return set(toc_files(repo_root()))
    except (FileNotFoundError, OSError):
        return None


def lesson_links(prefix: str) -> dict[str, dict[str, str]]:
    """Where to revisit each lesson, relative to a page ``prefix`` away from the book root:
    the lesson page when the book has it, else the lesson's quiz (never a dead link)."""
    pages = _built_pages()
    links = {}
    for slug, lesson in BY_SLUG.items():
        target = lesson.page if pages is None or lesson.page in pages else lesson.quiz_page
        links[slug] = {"title": f"Lesson {lesson.number}: {lesson.title}",
                       "href": f"{prefix}{target}.html"}
    return links
