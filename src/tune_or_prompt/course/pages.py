"""The course's table of lessons: one place that names each lesson, its page and its quiz."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml


@dataclass(frozen=True)
class Lesson:
    """A lesson of the course and where its pages live (paths are relative to the book root)."""

    number: int
    slug: str
    title: str

    @property
    def page(self) -> str:
        return f"lessons/{self.number:02d}-{self.slug}"

    @property
    def quiz_page(self) -> str:
        return f"quizzes/{self.number:02d}-{self.slug}-quiz"

    @property
    def bank_file(self) -> str:
        return f"{self.number:02d}-{self.slug}.yaml"


LESSONS: tuple[Lesson, ...] = (
    Lesson(1, "two-ways", "Two ways to adapt a model"),
    Lesson(2, "prompting", "Prompt engineering in practice"),
    Lesson(3, "fine-tuning", "Fine-tuning in practice"),
    Lesson(4, "measuring", "Measuring what matters"),
    Lesson(5, "choosing", "Choosing"),
    Lesson(6, "today", "Prompting and fine-tuning today"),
    Lesson(7, "case-study", "Putting it together"),
)

# Pages that moved, old path -> new path (no suffix): the site keeps a page at each old
# address that forwards to the new one, so links and bookmarks keep working.
MOVED: dict[str, str] = {
    "lessons/06-case-study": "lessons/07-case-study",  # a lesson was added before it
    "quizzes/06-case-study-quiz": "quizzes/07-case-study-quiz",
}

BY_SLUG: dict[str, Lesson] = {lesson.slug: lesson for lesson in LESSONS}

REPOSITORY_URL_KEY = ("repository", "url")  # where _config.yml keeps the one repository URL

def toc_files(root: Path) -> list[str]:
    """Every document the _toc.yml lists (paths without extension, relative to the root)."""
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    found = [toc["root"]]

    def walk(entries: list) -> None:
        for entry in entries or []:
            if "file" in entry:
                found.append(entry["file"])
            for key in ("sections", "chapters"):
                walk(entry.get(key, []))
            for part in entry.get("parts", []):
                walk(part.get("chapters", []))

    walk(toc.get("chapters", []))
    for part in toc.get("parts", []):
        walk(part.get("chapters", []))
    return [str(Path(f).with_suffix("")) if Path(f).suffix in (".md", ".ipynb") else f
            for f in found]

