"""The desk's look of each flag kind, written from the registry: a new kind needs no CSS, JS or template
edit."""
from __future__ import annotations

from typing import Any

from service.domain import flag_kinds


def stylesheet() -> str:
    """Per kind: its colours as custom properties, its icon, its highlight (each kind underlines at its
    own depth, so nested flags show every line) and the rule that hides it."""
    root: list[str] = []
    rules: list[str] = []
    for depth, kind in enumerate(flag_kinds.KINDS, 1):
        k = kind.name
        thickness = "1.5px" if kind.underline == "wavy" else "2px"
        glyph = kind.glyph.replace("\\", "\\\\").replace('"', '\\"')
        root += [f"--flag-{k}: {kind.colour};", f"--flag-{k}-bg: {kind.background};"]
        rules += [
            f".k-{k} {{ color: var(--flag-{k}); }}",
            f'.k-{k}::before {{ content: "{glyph}"; }}',
            f"mark.f-{k} {{\n  background: var(--flag-{k}-bg); text-decoration: underline {kind.underline} "
            f"var(--flag-{k});\n  text-decoration-thickness: {thickness}; "
            f"text-underline-offset: {3 * depth}px;\n}}",
            f".hide-{k} mark.f-{k} {{ background: none; text-decoration: none; }}",
        ]
    return ":root {\n  " + "\n  ".join(root) + "\n}\n" + "\n".join(rules) + "\n"


def legend_hint() -> str:
    """"Quotes: solid underline · numbers: double · …": how to tell the kinds apart without colour."""
    parts = [f"{k.plural}: {k.underline}" for k in flag_kinds.KINDS]
    if parts:
        parts[0] = parts[0][0].upper() + parts[0][1:] + " underline"
    return " · ".join(parts) + "."


def page_data() -> list[dict[str, Any]]:
    """What the desk's scripts know of each kind."""
    return [{"name": k.name, "plural": k.plural, "subtypes": list(k.subtypes)} for k in flag_kinds.KINDS]
