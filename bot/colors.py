"""A forum's own colour for the widget (`/widget/?primary=%230b7285`), checked and made readable.

`primary_css` turns the `primary` parameter into the CSS that recolours the widget's buttons,
accents and links (Gradio's theme variables). Only three spellings are accepted: `#rgb`,
`#rrggbb` and a CSS colour name from the fixed list below; anything else gives None and the
widget keeps its colours, so the parameter can never carry CSS of its own. The text on a button
is white or black, whichever contrasts more with the colour (WCAG ratio); links use the colour
darkened until it reaches 4.5:1 on the white page. Left out: rgb()/hsl() and other spellings,
and the dark theme (its links keep their colours).
"""

from __future__ import annotations

import re

RGB = tuple[int, int, int]

#: the CSS colour names a forum is likely to use, and their values
NAMES: dict[str, str] = {
    "black": "#000000", "white": "#ffffff", "gray": "#808080", "grey": "#808080", "silver": "#c0c0c0",
    "red": "#ff0000", "maroon": "#800000", "crimson": "#dc143c", "firebrick": "#b22222", "darkred": "#8b0000",
    "orange": "#ffa500", "darkorange": "#ff8c00", "chocolate": "#d2691e", "brown": "#a52a2a", "sienna": "#a0522d",
    "gold": "#ffd700", "yellow": "#ffff00", "olive": "#808000", "green": "#008000", "darkgreen": "#006400",
    "forestgreen": "#228b22", "seagreen": "#2e8b57", "lime": "#00ff00", "teal": "#008080", "darkcyan": "#008b8b",
    "cyan": "#00ffff", "aqua": "#00ffff", "turquoise": "#40e0d0", "steelblue": "#4682b4", "blue": "#0000ff",
    "navy": "#000080", "darkblue": "#00008b", "royalblue": "#4169e1", "dodgerblue": "#1e90ff",
    "slateblue": "#6a5acd", "indigo": "#4b0082", "purple": "#800080", "rebeccapurple": "#663399",
    "darkviolet": "#9400d3", "violet": "#ee82ee", "magenta": "#ff00ff", "fuchsia": "#ff00ff", "orchid": "#da70d6",
    "deeppink": "#ff1493", "hotpink": "#ff69b4", "pink": "#ffc0cb", "tomato": "#ff6347", "coral": "#ff7f50",
    "salmon": "#fa8072", "slategray": "#708090", "darkslategray": "#2f4f4f", "dimgray": "#696969",
}
_HEX = re.compile(r"#([0-9a-f]{3}|[0-9a-f]{6})")
WHITE: RGB = (255, 255, 255)
BLACK: RGB = (0, 0, 0)


def parse(value: str) -> RGB | None:
    """The colour of `#rgb`, `#rrggbb` or a name of `NAMES` (any case, spaces around ignored); None otherwise."""
    text = NAMES.get(value.strip().lower(), value.strip().lower())
    m = _HEX.fullmatch(text)
    if not m:
        return None
    digits = m.group(1) if len(m.group(1)) == 6 else "".join(c * 2 for c in m.group(1))
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def luminance(rgb: RGB) -> float:
    """WCAG relative luminance, 0 (black) to 1 (white)."""
    c = [v / 255 for v in rgb]
    c = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in c]
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]


def contrast(a: RGB, b: RGB) -> float:
    """WCAG contrast ratio of two colours, 1 to 21."""
    hi, lo = sorted([luminance(a), luminance(b)], reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def text_on(background: RGB) -> RGB:
    """White or black, whichever reads better on `background`."""
    return WHITE if contrast(WHITE, background) >= contrast(BLACK, background) else BLACK


def darken(rgb: RGB, against: RGB = WHITE, ratio: float = 4.5) -> RGB:
    """`rgb`, mixed with black in small steps until it reaches `ratio` against `against`."""
    for step in range(21):
        mixed: RGB = tuple(round(v * (1 - step / 20)) for v in rgb)  # type: ignore[assignment]
        if contrast(mixed, against) >= ratio:
            return mixed
    return BLACK


def hex_of(rgb: RGB) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def primary_css(value: str) -> str | None:
    """The CSS giving the widget the colour `value` for its buttons, accents and links; None
    when `value` is not an accepted colour."""
    rgb = parse(value)
    if rgb is None:
        return None
    color, text, link, hover = hex_of(rgb), hex_of(text_on(rgb)), hex_of(darken(rgb)), hex_of(darken(rgb, ratio=7))
    variables = {
        "--button-primary-background-fill": color, "--button-primary-background-fill-hover": color,
        "--button-primary-border-color": color, "--button-primary-border-color-hover": color,
        "--button-primary-text-color": text, "--button-primary-text-color-hover": text,
        "--color-accent": color, "--border-color-accent": color, "--loader-color": color, "--slider-color": color,
        "--link-text-color": link, "--link-text-color-visited": link, "--link-text-color-active": link,
        "--link-text-color-hover": hover,
    }
    body = "".join(f" {name}: {val} !important;" for name, val in variables.items())
    # the Ask button and the links of the header and the answers take them too (Gradio's own rules
    # name other variables for some of them)
    return (f":root, :root .gradio-container {{{body} }}\n"
            f"button.primary, .submit-button {{ background: {color} !important; color: {text} !important; "
            f"border-color: {color} !important; }}\n"
            f".prose a:not(.helplines a):not(.notice a) {{ color: {link} !important; }}\n")
