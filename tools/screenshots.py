"""Screenshot built pages in headless Chromium, light and dark, to look at them as a learner would.

    .venv/bin/python tools/screenshots.py quizzes/01-two-ways-quiz [more pages] [--out DIR]
    .venv/bin/python tools/screenshots.py book/decision-guide --width 390 --height 844  # a phone
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from conftest import BROWSER_ARGS, CHROMIUM, serve  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("pages", nargs="+", help="page paths without .html, e.g. book/intro")
    parser.add_argument("--out", default="/tmp/screens")
    parser.add_argument("--height", type=int, default=1400)
    parser.add_argument("--width", type=int, default=1280, help="viewport width (390: a phone)")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    with serve(ROOT / "_build" / "html") as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=BROWSER_ARGS)
        for theme in ("light", "dark"):
            phone = args.width < 600
            page = browser.new_page(viewport={"width": args.width, "height": args.height},
                                    color_scheme=theme, is_mobile=phone, has_touch=phone)
            for name in args.pages:
                page.goto(f"{url}/{name}.html")
                page.evaluate(f"document.documentElement.dataset.theme = '{theme}'")
                suffix = "" if args.width == 1280 else f"-{args.width}"
                target = out / f"{name.replace('/', '_')}-{theme}{suffix}.png"
                page.screenshot(path=str(target), full_page=True)
                print(target)
            page.close()
        browser.close()


if __name__ == "__main__":
    main()
