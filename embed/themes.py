"""Colour themes of the widgets: CSS custom properties, WCAG AA in both themes.

Text pairs (foreground on each background) need 4.5:1; the focus ring and borders that
identify controls need 3:1 against the page (WCAG 1.4.3 and 1.4.11). tests/test_embed.py
checks every pair with :func:`contrast`.
"""

from __future__ import annotations

THEMES: dict[str, dict[str, str]] = {
    "light": {
        "bg": "#ffffff",
        "card": "#f5f6f8",
        "fg": "#1b1d21",
        "muted": "#4b5260",
        "link": "#0a55c8",
        "border": "#8a919e",
        "focus": "#0a55c8",
        "open-fg": "#0d5f2a",
        "open-bg": "#dff3e5",
        "upcoming-fg": "#6e4200",
        "upcoming-bg": "#fdefd2",
        "closed-fg": "#454b57",
        "closed-bg": "#e6e8ec",
    },
    "dark": {
        "bg": "#15171a",
        "card": "#1f2227",
        "fg": "#eceff3",
        "muted": "#b7bfcb",
        "link": "#8fb8ff",
        "border": "#6f7784",
        "focus": "#8fb8ff",
        "open-fg": "#93e0aa",
        "open-bg": "#173524",
        "upcoming-fg": "#f5cf72",
        "upcoming-bg": "#3a2d0f",
        "closed-fg": "#c9ced7",
        "closed-bg": "#2c3037",
    },
}
DEFAULT_THEME = "light"

#: (foreground, background, minimum ratio) pairs every theme must satisfy.
CONTRAST_PAIRS = [
    *((fg, bg, 4.5) for fg in ("fg", "muted", "link") for bg in ("bg", "card")),
    ("open-fg", "open-bg", 4.5),
    ("upcoming-fg", "upcoming-bg", 4.5),
    ("closed-fg", "closed-bg", 4.5),
    ("focus", "bg", 3.0),
    ("focus", "card", 3.0),
    ("border", "bg", 3.0),
]


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(first: str, second: str) -> float:
    """The WCAG 2 contrast ratio of two ``#rrggbb`` colours (1 to 21)."""
    light, dark = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def css_variables(name: str) -> str:
    """``--bg: #fff; …`` for one theme."""
    return " ".join(f"--{key}: {value};" for key, value in THEMES[name].items())
