"""Markdown from organisers and speakers, rendered and sanitised before it reaches a page."""

import markdown
import nh3
from flask import has_app_context
from markupsafe import Markup

from app import pagecache

_TAGS = {
    "p", "br", "strong", "em", "b", "i", "ul", "ol", "li", "a", "blockquote", "code", "pre",
    "h3", "h4", "h5", "hr", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip


def render_markdown(text: str | None) -> Markup:
    """Kept by the text itself (per process): an event's description is rendered once, not on
    every signed-in view of its page."""
    if not text:
        return Markup("")
    if not has_app_context():
        return _render(text)
    return pagecache.remember(pagecache.local("markdown", 512), text, lambda: _render(text))


def _render(text: str) -> Markup:
    html = markdown.markdown(text, extensions=["sane_lists", "tables"])
    clean = nh3.clean(
        html,
        tags=_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return Markup(clean)  # noqa: S704 - sanitised by nh3 above
