"""Audit every built page in headless Chromium: axe-core in light and dark, phone width, errors.

    make axe && .venv/bin/python tools/audit.py [pages ...] [--rules]

Prints, per impact, how many rules fail (summed over page x theme) and how many elements they
flag, then each page that scrolls sideways at 390 px and each console error.
"""

from __future__ import annotations

import argparse
import collections
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from conftest import BROWSER_ARGS, CHROMIUM, serve  # noqa: E402
from site_audit import (  # noqa: E402
    IMPACTS,
    PHONE,
    THEMES,
    run_axe,
    set_theme,
    sideways_overflow,
    site_pages,
    totals,
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("pages", nargs="*", help="page paths, e.g. book/intro.html (default: all)")
    parser.add_argument("--rules", action="store_true", help="list every violation")
    args = parser.parse_args()
    html = ROOT / "_build" / "html"
    pages = args.pages or site_pages(html)
    from playwright.sync_api import sync_playwright

    found: dict[tuple[str, str], list[dict]] = {}
    errors: list[str] = []
    wide: list[str] = []
    with serve(html) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=BROWSER_ARGS)
        desk = browser.new_page(viewport={"width": 1280, "height": 900})
        desk.on("pageerror", lambda exc: errors.append(f"{desk.url}: {exc}"))
        desk.on("console", lambda m: errors.append(f"{desk.url}: {m.text}")
                if m.type == "error" else None)
        phone = browser.new_page(viewport=PHONE, is_mobile=True, has_touch=True)
        for name in pages:
            desk.goto(f"{url}/{name}")
            for theme in THEMES:
                set_theme(desk, theme)
                found[name, theme] = run_axe(desk)
            phone.goto(f"{url}/{name}")
            if (extra := sideways_overflow(phone)) > 0:
                wide.append(f"{name}: {extra}px")
        browser.close()
    rules = collections.Counter(v["impact"] for vs in found.values() for v in vs)
    nodes = totals(found)
    print(f"{len(pages)} pages x {len(THEMES)} themes")
    for impact in IMPACTS:
        print(f"{impact:9} {rules[impact]:4} violations {nodes[impact]:5} elements")
    by_rule = collections.Counter((v["impact"], v["id"]) for vs in found.values() for v in vs)
    for (impact, rule), n in sorted(by_rule.items(), key=lambda x: IMPACTS.index(x[0][0])):
        print(f"  {impact:9} {rule:32} on {n} page x theme runs")
    if args.rules:
        for (name, theme), vs in found.items():
            for v in vs:
                print(f"{name} [{theme}] {v['impact']} {v['id']}: {v['targets'][:4]}")
    print("sideways at 390px:", wide or "none")
    print("console errors:", len(errors))
    for line in sorted(set(errors)):
        print("  ", line)


if __name__ == "__main__":
    main()
