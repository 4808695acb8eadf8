"""markdown-it-pyrs and markdown-it-py give the same page: the engine never changes a build.

The fast engine may decline a body (markdown-it-py then renders it); whatever it does render must
equal markdown-it-py's result in every field: HTML, summary, table of contents, word count,
fragments, and the problems with their lines.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from conftest import POST, SITE_YAML, run_build, write_files
from hypothesis import given, settings
from hypothesis import strategies as st

from hubgen.markdown import MarkdownRenderer, PythonMarkdown
from hubgen.markdown_fast import FastMarkdown, _scheme

HERE = Path(__file__).resolve().parent
SPEC = json.loads((HERE / "fixtures/commonmark/spec.json").read_text(encoding="utf-8"))
REPOSITORY = HERE.parent
CORPUS = REPOSITORY.parent / "shared/corpora/carpentries-blog/posts"


def resolve(href: str) -> str | None:
    """A resolver like the site's: .md files are posts, 'missing' ones do not exist."""
    if href.split("#")[0].endswith(".md"):
        if "missing" in href:
            return None
        page, _, fragment = href.partition("#")
        return f"/posts/{page[:-3].strip('./')}/" + (f"#{fragment}" if fragment else "")
    return ""


def compare(body: str, raw_html: bool = True) -> bool:
    """Whether the fast engine took the body; fails if it took it and differs."""
    fast = FastMarkdown(raw_html).render(
        body, source="content/posts/p.md", body_line=5, resolve=resolve, toc_min=1
    )
    if fast is None:
        return False
    python = PythonMarkdown(raw_html).render(
        body, source="content/posts/p.md", body_line=5, resolve=resolve, toc_min=1
    )
    assert fast == python, body
    return True


@pytest.mark.parametrize("raw_html", [True, False])
def test_commonmark_spec_examples_render_alike(raw_html: bool) -> None:
    taken = sum(compare(example["markdown"], raw_html) for example in SPEC)
    # the examples are edge cases by design, yet most are taken: the guards are not "decline all"
    assert taken > 0.7 * len(SPEC)


def test_example_hub_bodies_render_alike() -> None:
    bodies = sorted((REPOSITORY / "content").rglob("*.md"))
    assert bodies
    taken = 0
    for path in bodies:
        text = path.read_text(encoding="utf-8")
        taken += compare(text.split("\n---\n", 1)[-1])
    assert taken >= len(bodies) // 2


FEATURES = """\
# Title with `code` and *emphasis*

Intro paragraph with a [post link](other-post.md), a [fragment](other-post.md#part),
a [missing one](missing-post.md) and an [outside link](https://example.org/a?b=1&c=2 "Title").
An <https://autolink.example.org> and ![an image *alt*](/img/a.png) and ~~struck~~ text.
Hard break here\\
and a [local](#title-with-code-and-emphasis) fragment, [root](/about/#team).

<!--more-->

## Section

1. one
2. two [link](../posts/second.md)
   - nested *item*
   - another

> quoted **strong** text
> over lines [in quote](third.md)

```python
def hello():
    return 1 < 2 and "a && b"
```

```unknown-language
plain & simple
```

    indented code

| Left | Centre | Right |
|:-----|:------:|------:|
| a    | `b|c`  | [c](cell.md) |
| d \\| e | f | g |

## Section

Setext heading
--------------

### Third level

* * *

Entities &amp; &copy; and escapes \\* \\_ and a [ref link][ref].

[ref]: reference.md "Ref"
"""


def test_every_supported_feature_renders_alike() -> None:
    assert compare(FEATURES)
    assert compare(FEATURES, raw_html=False) is False  # <!--more--> is text there: declined


@pytest.mark.parametrize(
    "body",
    [
        "A footnote[^1].\n\n[^1]: The note.\n",
        "- [ ] a task\n- [x] done\n",
        "Term\n: Definition\n",
        "[bad](javascript:alert(1))\n",
        "[bad](JaVaScRiPt&#58;alert(1))\n",
        "![pixel](data:image/png;base64,AAAA)\n",
        "Some <b>raw</b> HTML.\n",
        "*£*bravo\n",
        "## Heading\u00a0\n",
    ],
)
def test_constructs_the_fast_engine_leaves_to_markdown_it_py(body: str) -> None:
    assert compare(body) is False
    # and the renderer still renders them, through markdown-it-py
    rendered, _ = MarkdownRenderer(raw_html=True).render(body, source="p.md")
    assert rendered.html


SNIPPETS = [
    "# Heading",
    "## Heading",
    "### Sub *heading*",
    "Heading\n===",
    "plain words here",
    "*em* and **strong** and ***both***",
    "_under_ score_d",
    "`code span`",
    "``code ` tick``",
    "[post](post.md)",
    "[frag](post.md#x)",
    "[missing](missing.md)",
    "[anchor](#heading)",
    "[root](/a/#b)",
    "[ext](https://e.org/?a=1&b=2)",
    '[title](t.md "a title")',
    "[ref][r]",
    "[r]: ref.md",
    "<https://auto.example.org/x>",
    "<me@example.org>",
    "![alt *text*](img.png)",
    "![alt [link](l.md)](img.png)",
    "~~strike~~",
    "~single~",
    "line\\",
    "line  ",
    "- item",
    "- item\n  - nested",
    "1. first\n2. second",
    "3) third",
    "> quote",
    "> quote\nlazy",
    "```python\nx = 1 < 2\n```",
    "```js\nlet a = 1;\n```",
    "```\nno language\n```",
    "~~~ruby\nputs 1\n~~~",
    "    indented code",
    "---",
    "* * *",
    "| a | b |\n|---|:-:|\n| 1 | 2 |",
    "| a |\n|---|\n| x | y |",
    "a | b\n--|--\nc | d",
    "&amp; &lt; &copy; &nbsp;",
    "\\* \\[ \\`",
    "é ü 中文 — “quotes”",
    "<!--more-->",
    "- <!--more-->",
    "text <!--more-->",
    "`<!--more-->`",
    "[^1]",
    "[^1]: a note",
    "- item *em*\n  ```py\n  x\n  ```",
    "- [link](l.md)\n  ```\n  y\n  ```",
    "- `code`\n      indented",
    "```py extra words\nz = 2\n```",
    "```&lt;\\&amp;\nw\n```",
    "Two line\nsetext\n---",
    "Hard  \nbreak\n===",
    "tab\tseparated",
    "## Closed ##",
    "**bold [link](x.md) inside**",
    "[link with `code`](y.md#z)",
    "[a]: <b c> 'd'",
    "1. one\n\n   para in item",
    "- a\n\n- b",
    "+ plus",
    "<span>inline html</span>",
    "<div>\nblock\n</div>",
    "",
]


@settings(max_examples=int(os.environ.get("HUBGEN_FUZZ_EXAMPLES", "300")), deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(SNIPPETS), st.sampled_from(["\n", "\n\n", " ", "\n  ", "\n> "])),
        max_size=12,
    ),
    st.booleans(),
)
def test_random_documents_render_alike(parts: list[tuple[str, str]], raw_html: bool) -> None:
    compare("".join(text + joint for text, joint in parts), raw_html)


@settings(max_examples=int(os.environ.get("HUBGEN_FUZZ_EXAMPLES", "300")), deadline=None)
@given(
    st.lists(
        st.sampled_from(
            ["script", "data", "file", "dat", "a", " ", "\t", "\n", "\u2003", "\\", ":", "&"]
        )
    )
)
def test_the_scheme_check_finds_what_its_pattern_finds(parts: list[str]) -> None:
    """Bodies that may spell a refused scheme go to markdown-it-py: looked for name by name."""
    text = "".join(parts)
    assert _scheme(text) == bool(re.search(r"(?:script|data|file)[\s\\]*[:&]", text)), text


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpora is not here")
def test_real_blog_bodies_render_alike() -> None:
    taken = 0
    for path in sorted(CORPUS.rglob("*.md")):
        text = path.read_text(encoding="utf-8", errors="replace")
        taken += compare(text.split("\n---\n", 1)[-1])
    assert taken > 300


def test_the_engine_never_changes_a_built_site(tmp_path, monkeypatch) -> None:
    files = {
        "content/posts/first.md": POST.format(
            title="First", date="2026-01-02", body=FEATURES.replace("missing-", "other-")
        ),
        "content/posts/other-post.md": POST.format(
            title="Other", date="2026-01-01", body="# Part\n\n## part\n\nText with *words*."
        ),
        "content/posts/footnote.md": POST.format(
            title="Notes", date="2026-01-03", body="Text[^1].\n\n[^1]: A note."
        ),
    }
    for name in ("second", "third", "reference", "cell"):  # the other posts FEATURES links to
        body = f"A post linked from [the first](first.md#section), {name}."
        files[f"content/posts/{name}.md"] = POST.format(title=name, date="2025-12-01", body=body)
    outputs = []
    for engine in ("python", "fast"):
        root = tmp_path / engine
        write_files(root, {"site.yaml": SITE_YAML, **files})
        monkeypatch.setenv("HUBGEN_MARKDOWN", engine)
        result = run_build(root, keep_going=True)
        assert result.published
        outputs.append(
            {
                p.relative_to(root / "public").as_posix(): p.read_bytes()
                for p in sorted((root / "public").rglob("*"))
                if p.is_file()
            }
        )
    assert outputs[0] == outputs[1]
    assert b'<pre class="highlight">' in outputs[0]["2026/01/first/index.html"]
