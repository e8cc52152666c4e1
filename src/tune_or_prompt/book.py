"""Helpers for the site build: which pages the TOC lists, and readable execution failures."""

from __future__ import annotations

import sys
from pathlib import Path

import yaml


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


def error_reports(build_dir: Path) -> dict[str, str]:
    """Execution tracebacks that myst-nb wrote to <build>/html/reports/*.err.log."""
    reports = build_dir / "html" / "reports"
    return {p.name: p.read_text(encoding="utf-8", errors="replace")
            for p in sorted(reports.rglob("*.err.log"))} if reports.is_dir() else {}


def print_reports(build_dir: Path) -> int:
    """Print every execution traceback (the build log only says 'see the report')."""
    reports = error_reports(build_dir)
    for name, text in reports.items():
        print(f"\n===== notebook failed: {name} =====\n{text}", file=sys.stderr)
    return len(reports)


if __name__ == "__main__":
    if sys.argv[1:2] == ["reports"]:
        print_reports(Path(sys.argv[2] if len(sys.argv) > 2 else "_build"))
