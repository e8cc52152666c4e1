"""The .ipynb twins as learners open them: plain Jupyter Markdown, no MyST syntax.

The site is built from MyST sources (``lessons/*.md``), whose roles and directives Jupyter and
Colab do not render. `convert` rewrites a notebook's Markdown cells for them:

- ``{term}``, ``{doc}`` and ``{ref}`` become links to the published site (``html.baseurl`` in
  ``_config.yml``, the one place that names it, beside the repository URL);
- ``{cite}`` becomes "(Author, Year)" linked to the references page;
- ``{glue:text}`` becomes its value: the reference run's (`numbers.reference`), or the one the
  page's own cells glued in the last build (kept in `PAGE_VALUES`, see `record_page_values`);
- admonitions become quoted blocks with a bold title; exercises get a numbered heading;
  solutions are collapsed in ``<details>``, and the code they contain follows in a code cell that
  stays hidden until opened (JupyterLab's collapsed input, Colab's form view).

`myst_left` lists any MyST syntax that would still show; a test runs it on every twin.
"""

from __future__ import annotations

import ast
import copy
import json
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

SETUP_MARKER = "# Colab set-up"  # the first line of the set-up cell every notebook starts with
PAGE_VALUES = Path("book/page-numbers.json")  # values glued by the pages' own cells, per page
NOTE = ("> This notebook is a page of the *Tune or Prompt* course ([read it on the site]({url})). "
        "Numbers quoted in the text come from the course's reference run and the published "
        "build; the cells you run print your own.")

_ROLE = re.compile(r"\{([a-zA-Z][\w:-]*)\}`([^`]+)`")
_FENCE = re.compile(r"^(`{3,}|:{3,})\{([\w-]+)\}\s*(.*)$")
_OPTION = re.compile(r"^:([\w-]+):\s*(.*)$")
_TARGET = re.compile(r"^\(([\w.-]+)\)=\s*$")
_CODE_FENCE = re.compile(r"^(`{3,})(\w*)\s*$")
_TITLED = {"note": "Note", "tip": "Tip", "important": "Important", "warning": "Warning",
           "caution": "Caution", "attention": "Attention", "hint": "Hint", "seealso": "See also",
           "danger": "Danger", "error": "Error"}


def site_url(root: Path) -> str:
    """The published site's address, from ``html.baseurl`` in ``_config.yml``."""
    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
    return str(config["html"]["baseurl"]).rstrip("/")


def sphinx_id(text: str) -> str:
    """The HTML id Sphinx gives a glossary term or label (`sphinx.util.nodes._make_id`)."""
    return re.sub(r"[^a-zA-Z0-9._]+", "-", " ".join(text.split())).strip("-._")


def _title(path: Path) -> str:
    """A page's title: its first level-1 heading outside code (a code cell's ``# comment``
    is not a heading)."""
    fence = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        marker = re.match(r"^(`{3,}|~{3,})", line)
        if marker and (not fence or marker[1].startswith(fence)):
            fence = "" if fence else marker[1]
        elif not fence and line.startswith("# "):
            return line[2:].strip()
    return path.stem


def _authors(names: list) -> str:
    last = [" ".join(person.last_names).strip("{}") or str(person) for person in names]
    if len(last) == 1:
        return last[0]
    return f"{last[0]} and {last[1]}" if len(last) == 2 else f"{last[0]} et al."


def citations(bib: Path) -> dict[str, str]:
    """"Author, Year" for every entry of a BibTeX file (authors, else editors or the title)."""
    from pybtex.database import parse_file

    out = {}
    for key, entry in parse_file(str(bib)).entries.items():
        people = entry.persons.get("author") or entry.persons.get("editor")
        who = _authors(people) if people else entry.fields.get("title", key).strip("{}")
        out[key] = f"{who}, {entry.fields.get('year', 'n.d.')}"
    return out


@dataclass
class Site:
    """What the converter needs to know about the book: its address, pages, terms and values."""

    url: str
    titles: dict[str, str]  # docname -> page title
    terms: dict[str, str]  # lower-case glossary term -> its id on the glossary page
    labels: dict[str, tuple[str, str, str]]  # label -> (docname, id, link text)
    cites: dict[str, str]  # BibTeX key -> "Author, Year"
    values: dict[str, str]  # reference-run numbers
    page_values: dict[str, dict[str, str]] = field(default_factory=dict)  # docname -> values

    @classmethod
    def load(cls, root: Path) -> Site:
        from tune_or_prompt.course.pages import toc_files

        from .numbers import reference

        titles, labels, terms = {}, {}, {}
        for doc in toc_files(root):
            path = root / f"{doc}.md"
            if not path.exists():
                continue
            titles[doc] = _title(path)
            lines = path.read_text(encoding="utf-8").splitlines()
            exercise = 0
            for i, line in enumerate(lines):
                if (target := _TARGET.match(line)) and (heading := _next_heading(lines, i)):
                    labels[target[1]] = (doc, target[1], heading)
                if line.startswith("```{exercise}"):
                    exercise += 1
                    option = _OPTION.match(lines[i + 1]) if i + 1 < len(lines) else None
                    if option and option[1] == "label":
                        labels[option[2]] = (doc, option[2], f"Exercise {exercise}")
        glossary = (root / "book/glossary.md").read_text(encoding="utf-8")
        inside = glossary.split("```{glossary}", 1)[1].split("\n```", 1)[0]
        for line in inside.splitlines():
            if line.strip() and not line[0].isspace():
                terms[line.strip().lower()] = "term-" + sphinx_id(line.strip())
        values_file = root / PAGE_VALUES
        page_values = (json.loads(values_file.read_text(encoding="utf-8"))["pages"]
                       if values_file.exists() else {})
        return cls(site_url(root), titles, terms, labels,
                   citations(root / "book/references.bib"), reference(), page_values)

    def link(self, doc: str, anchor: str = "") -> str:
        return f"{self.url}/{doc}.html" + (f"#{anchor}" if anchor else "")


def _next_heading(lines: list[str], i: int) -> str | None:
    for line in lines[i + 1:]:
        if line.strip():
            return line.lstrip("#").strip() if line.startswith("#") else None
    return None


class ConversionError(ValueError):
    """MyST the converter does not know, or a value it cannot fill in."""


def _split_target(text: str) -> tuple[str, str | None]:
    """``text <target>`` -> (text, target); plain ``target`` -> (target, None)."""
    match = re.fullmatch(r"(.*?)\s*<([^<>]+)>", text.strip(), flags=re.S)
    return (match[1], match[2]) if match else (text.strip(), None)


def _roles(text: str, doc: str, site: Site) -> str:
    """Replace every inline role in ``text`` (prose, not code) with plain Markdown."""
    values = {**site.values, **site.page_values.get(doc, {})}

    def one(match: re.Match) -> str:
        role, content = match[1], match[2]
        shown, target = _split_target(content)
        target = " ".join(target.split()) if target else None
        if role.startswith("glue"):
            name = content.split("::")[-1]
            if name not in values:
                raise ConversionError(f"{doc}: no value for {{glue}} `{name}` (build the book, "
                                      "then `make sync`)")
            return values[name]
        if role == "term":
            key = " ".join((target or shown).split()).lower()
            if key not in site.terms:
                raise ConversionError(f"{doc}: {key!r} is not a glossary term")
            return f"[{shown}]({site.link('book/glossary', site.terms[key])})"
        if role == "doc":
            path = target or shown
            page = (path.lstrip("/") if path.startswith("/")
                    else posixpath.normpath(posixpath.join(posixpath.dirname(doc), path)))
            if page not in site.titles:
                raise ConversionError(f"{doc}: {{doc}} `{path}` is not a page of the book")
            return f"[{shown if target else site.titles[page]}]({site.link(page)})"
        if role == "ref":
            label = target or shown
            if label not in site.labels:
                raise ConversionError(f"{doc}: {{ref}} `{label}` has no target")
            page, anchor, title = site.labels[label]
            return f"[{shown if target else title}]({site.link(page, anchor)})"
        if role in ("cite", "cite:p", "cite:t", "cite:ps", "cite:ts"):
            keys = [k.strip() for k in content.split(",")]
            missing = [k for k in keys if k not in site.cites]
            if missing:
                raise ConversionError(f"{doc}: no reference {missing[0]!r} in references.bib")
            refs = site.link("book/references")
            if role.startswith("cite:t"):
                parts = [site.cites[k].rsplit(", ", 1) for k in keys]
                return "; ".join(f"[{who} ({year})]({refs})" for who, year in parts)
            return "(" + "; ".join(f"[{site.cites[k]}]({refs})" for k in keys) + ")"
        raise ConversionError(f"{doc}: unknown role {{{role}}}")

    return _ROLE.sub(one, text)


def _prose(lines: list[str], doc: str, site: Site) -> list[str]:
    """Roles replaced outside fenced code (a role may span lines); ``(label)=`` targets
    dropped."""
    out, chunk, fence = [], [], None

    def flush() -> None:
        if chunk:
            out.extend(_roles("\n".join(chunk), doc, site).split("\n"))
            chunk.clear()

    for line in lines:
        code = _CODE_FENCE.match(line.strip())
        if fence:
            fence = None if line.strip() == fence else fence
            out.append(line)
        elif code:
            flush()
            fence = code[1]
            out.append(line)
        elif not _TARGET.match(line):
            chunk.append(line)
    flush()
    return out


@dataclass
class _Block:
    """A directive: its name, argument, options and body lines."""

    name: str
    argument: str
    options: dict[str, str]
    body: list[str]


def _blocks(lines: list[str]) -> list[list[str] | _Block]:
    """Split Markdown lines into runs of plain lines and top-level directives."""
    out: list[list[str] | _Block] = []
    i = 0
    while i < len(lines):
        match = _FENCE.match(lines[i])
        if not match:
            if not out or isinstance(out[-1], _Block):
                out.append([])
            out[-1].append(lines[i])
            i += 1
            continue
        fence, name, argument = match[1], match[2], match[3].strip()
        end = next((j for j in range(i + 1, len(lines)) if lines[j].rstrip() == fence), None)
        if end is None:
            raise ConversionError(f"unclosed {{{name}}} directive")
        body = lines[i + 1:end]
        options = {}
        while body and (option := _OPTION.match(body[0])):
            options[option[1]] = option[2]
            body = body[1:]
        out.append(_Block(name, argument, options, body))
        i = end + 1
    return out


def _trim(lines: list[str]) -> list[str]:
    while lines and not lines[0].strip():
        lines = lines[1:]
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    return lines


def _single_blank(lines: list[str]) -> list[str]:
    """Runs of blank lines outside code blocks collapsed to one."""
    out, fence = [], None
    for line in lines:
        code = _CODE_FENCE.match(line.strip())
        if fence:
            fence = None if line.strip() == fence else fence
        elif code:
            fence = code[1]
        elif not line.strip() and out and not out[-1].strip():
            continue
        out.append(line)
    return out


def _quoted(title: str, body: list[str]) -> list[str]:
    return [f"> **{title}**", ">", *[f"> {line}".rstrip() for line in body]]


def _details(summary: str, body: list[str]) -> list[str]:
    return ["<details>", f"<summary><b>{summary}</b> (click to open)</summary>", "", *body, "",
            "</details>"]


def _code_blocks(body: list[str]) -> list[str]:
    """The Python code blocks of a solution, in order."""
    blocks, current, fence = [], None, None
    for line in body:
        code = _CODE_FENCE.match(line.strip())
        if current is None and code and code[2] in ("python", "ipython3", "py"):
            current, fence = [], code[1]
        elif current is not None and line.strip() == fence:
            blocks.append("\n".join(current).strip())
            current = None
        elif current is not None:
            current.append(line)
    return blocks


def _solution_cell(title: str, code: list[str]):
    from nbformat.v4 import new_code_cell

    source = f"#@title {title}: its code, to run\n" + "\n\n".join(code)
    return new_code_cell(source, metadata={"jupyter": {"source_hidden": True},
                                           "cellView": "form", "tags": ["solution"]})


def _markdown_cells(text: str, doc: str, site: Site, exercises: dict[str, int]) -> list:
    """One MyST Markdown cell as plain Markdown cells (and the solutions' code cells)."""
    from nbformat.v4 import new_markdown_cell

    cells, pending = [], []

    def flush() -> None:
        if _trim(pending):
            cells.append(new_markdown_cell("\n".join(_single_blank(_trim(pending)))))
        pending.clear()

    for block in _blocks(text.splitlines()):
        if isinstance(block, list):
            pending.extend(_prose(block, doc, site))
            continue
        body = _prose(_trim(block.body), doc, site)
        if block.name == "exercise":
            exercises[block.options.get("label", f"#{len(exercises)}")] = number = (
                len(exercises) + 1)
            heading = f"### Exercise {number}" + (f": {block.argument}" if block.argument else "")
            pending.extend(["", heading, "", *body, ""])
        elif block.name == "solution":
            number = exercises.get(block.argument)
            if number is None:
                raise ConversionError(f"{doc}: solution to unknown exercise {block.argument!r}")
            title = f"Solution to Exercise {number}"
            pending.extend(["", *_details(title, body), ""])
            if code := _code_blocks(block.body):
                flush()
                cells.append(_solution_cell(title, code))
        elif block.name == "admonition" or block.name in _TITLED:
            title = _roles(block.argument, doc, site) or _TITLED.get(block.name, "Note")
            dropdown = "dropdown" in block.options.get("class", "").split()
            pending.extend(["", *(_details(title, body) if dropdown else _quoted(title, body)),
                            ""])
        else:
            raise ConversionError(f"{doc}: no plain-Markdown form for the {{{block.name}}} "
                                  "directive")
    flush()
    return cells


HIDDEN_ON_SITE = {"remove-cell", "remove-input", "hide-input", "hide-cell"}


def _code_cell(cell):
    """A code cell as it is; one the site hides (except the Colab set-up) starts collapsed."""
    cell = copy.deepcopy(cell)
    if HIDDEN_ON_SITE & set(cell.metadata.get("tags", [])) and not cell.source.startswith(
            SETUP_MARKER):
        cell.metadata.setdefault("jupyter", {})["source_hidden"] = True
    return cell


def convert(nb, doc: str, site: Site):
    """A learner's copy of a MyST notebook: every Markdown cell in plain Jupyter Markdown."""
    out = copy.deepcopy(nb)
    cells, exercises, noted = [], {}, False
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            cells.append(_code_cell(cell))
            continue
        new = _markdown_cells(cell.source, doc, site, exercises)
        if new and not noted and new[0].source.startswith("# "):
            new[0].source += "\n\n" + NOTE.format(url=site.link(doc))
            noted = True
        cells.extend(new)
    for index, cell in enumerate(cells):
        cell["id"] = f"cell-{index:02d}"  # stable ids: re-syncing gives identical files
    out.cells = cells
    return out


_ROLE_START = re.compile(r"\{[a-zA-Z][\w:-]*\}`")


def myst_left(text: str) -> list[str]:
    """MyST syntax that Jupyter would show as text: roles (even one broken across lines),
    directive fences and their options, and ``(label)=`` targets (each with its line)."""
    found, fence = [], None
    for line in text.splitlines():
        code = _CODE_FENCE.match(line.strip())
        if fence:
            fence = None if line.strip() == fence else fence
            continue
        if code:
            fence = code[1]
            continue
        if (_ROLE_START.search(line.replace("`{", "`")) or _FENCE.match(line.strip())
                or _OPTION.match(line) or _TARGET.match(line)):
            found.append(line.strip())
    return found


# --- The values a page's own cells glue, recorded from the last build.

def built_page_values(build: Path, doc: str, code: list[str]) -> dict[str, str] | None:
    """What the built page glued (``_build/jupyter_execute/<doc>.glue.json``), if the build
    ran exactly these code cells; otherwise None."""
    executed, glued = build / f"{doc}.ipynb", build / f"{doc}.glue.json"
    if not executed.exists() or not glued.exists():
        return None
    built = [c["source"] if isinstance(c["source"], str) else "".join(c["source"])
             for c in json.loads(executed.read_text(encoding="utf-8"))["cells"]
             if c["cell_type"] == "code"]
    if [c.strip() for c in built] != [c.strip() for c in code]:
        return None
    out = {}
    for name, output in json.loads(glued.read_text(encoding="utf-8")).items():
        text = output.get("data", {}).get("text/plain")
        if text is not None:
            value = ast.literal_eval(text)
            out[name] = value if isinstance(value, str) else text
    return out


def values_text(pages: dict[str, dict[str, str]]) -> str:
    return json.dumps({"about": "Values the pages' own cells glued in the last book build, "
                                "quoted in the .ipynb twins. Written by `make sync` after "
                                "`make book`; do not edit.",
                       "pages": {doc: dict(sorted(v.items())) for doc, v in sorted(pages.items())
                                 if v}},
                      indent=1, ensure_ascii=False) + "\n"
