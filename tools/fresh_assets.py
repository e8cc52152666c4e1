"""A copy of the built site with the package's current quiz, study and site scripts in it.

    .venv/bin/python tools/fresh_assets.py /tmp/site [--rev REV]
    TOP_SITE_DIR=/tmp/site .venv/bin/python -m pytest tests/test_progress_browser.py

Why: the quiz and study pages carry quiz.js and study.js inline, in notebook outputs that the
build's execution cache keeps; the cache is keyed on the notebooks' code, so after an edit of
those scripts `make book` (and TOP_REUSE_BUILD=1) still serves the old ones, until the notebooks
run again (a build from scratch). This copies _build/html and puts in the scripts of the working
tree (or of a git revision, to see a test fail before a fix), and the site's own course-site.js
and .css. For iterating on browser tests only: a release is always built from scratch.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "src/tune_or_prompt"
# The first line of each inline script, and the file it comes from.
INLINE = {"/* Tune or Prompt: the static (kernel-free) quiz view.": f"{PACKAGE}/course/quiz/quiz.js",
          "/* Tune or Prompt: the static (kernel-free) study pages": f"{PACKAGE}/course/study/study.js"}
STATIC = {"course-site.js": f"{PACKAGE}/site/assets/course-site.js",
          "course-site.css": f"{PACKAGE}/site/assets/course-site.css"}


def read(path: str, rev: str | None) -> str:
    if rev is None:
        return (ROOT / path).read_text(encoding="utf-8")
    return subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:{path}"], check=True,
                          capture_output=True, text=True).stdout


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("dest", type=Path, help="folder to write the site copy to (replaced)")
    parser.add_argument("--rev", help="take the scripts from this git revision")
    args = parser.parse_args()
    site = ROOT / "_build" / "html"
    if not (site / "index.html").exists():
        parser.error(f"no built site at {site}: run `make book` first")
    if args.dest.resolve() == site.resolve():
        parser.error("the copy must go to another folder than _build/html")
    shutil.rmtree(args.dest, ignore_errors=True)
    shutil.copytree(site, args.dest)
    scripts = [(re.compile(r"<script>" + re.escape(head) + r".*?</script>", re.S),
                "<script>" + read(path, args.rev) + "</script>") for head, path in INLINE.items()]
    changed = 0
    for page in args.dest.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        new = text
        for pattern, script in scripts:
            new = pattern.sub(lambda _, script=script: script, new)
        if new != text:
            page.write_text(new, encoding="utf-8")
            changed += 1
    for name, path in STATIC.items():
        (args.dest / "_static" / name).write_text(read(path, args.rev), encoding="utf-8")
    print(f"{args.dest}: scripts of {args.rev or 'the working tree'} in {changed} pages")


if __name__ == "__main__":
    main()
