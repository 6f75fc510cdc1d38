"""Draw the phone app's icons (web/static/phone/icon-192.png, icon-512.png): the brand red with a white
document and tick, inside the safe zone of a maskable icon. Run again only if the design changes."""

from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parent.parent / "web" / "static" / "phone"
RED, WHITE = (180, 35, 24), (255, 255, 255)


def icon(size: int) -> Image.Image:
    image = Image.new("RGB", (size, size), RED)
    draw = ImageDraw.Draw(image)
    u = size / 100  # drawn in a 100-unit square; the maskable safe zone is the central 80%
    draw.rounded_rectangle([30 * u, 22 * u, 70 * u, 78 * u], radius=5 * u, fill=WHITE)
    for y in (34, 44):
        draw.line([38 * u, y * u, 62 * u, y * u], fill=RED, width=max(2, round(3 * u)))
    draw.line([38 * u, 60 * u, 46 * u, 68 * u, 62 * u, 52 * u], fill=RED, width=max(3, round(5 * u)), joint="curve")
    return image


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        icon(size).save(OUT / f"icon-{size}.png", optimize=True)
