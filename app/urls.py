"""Where a `next` parameter may send someone: a path on this site, never another site."""

from urllib.parse import urlsplit


def local_path(value: str | None) -> str | None:
    """`value` if it is a path on this site, else None. Browsers read a backslash as a slash
    and drop tabs and newlines (`/\\evil.com`, `/<tab>/evil.com` lead off-site), and a newline
    cannot go into a Location header at all: such values are refused."""
    if not value or len(value) > 500 or not value.startswith("/") or value.startswith("//"):
        return None
    if "\\" in value or any(ord(c) < 32 or ord(c) == 127 for c in value):
        return None
    return value if not urlsplit(value).netloc else None
