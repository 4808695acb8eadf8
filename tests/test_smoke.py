from __future__ import annotations

from conftest import POST, errors, read, run_build


def test_a_post_is_written_with_its_permalink(make_site):
    root = make_site(
        {
            "content/posts/first.md": POST.format(
                title="First", date="2025-03-04", body="Hello *world*."
            )
        }
    )
    result = run_build(root)
    assert errors(result) == []
    html = read(root, "2025/03/first/index.html")
    assert "<em>world</em>" in html
    assert "First" in read(root, "index.html")
