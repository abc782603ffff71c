"""The README's pictures of the report, rendered from its real output: ``python tools/report_pictures.py``.

Builds the report from ``examples/crm.toml`` (the workbook and the web page), prints the workbook to PDF with
LibreOffice (as ``tests/test_report_render.py`` does), takes the first page of every sheet (each page's header names
its sheet) and rasterizes it with poppler's ``pdftoppm``; opens the web page in Chromium (playwright) at a phone's
width and a desktop's. Every picture is trimmed to its content and reduced to a small palette, so they stay a few
hundred KB in all. Writes ``docs/report/*.png`` (replacing the previous set) and prints each file's size.

Needs: ``apt-get install libreoffice-calc-nogui fonts-noto-cjk chromium poppler-utils`` and
``pip install -e '.[test,docs]'`` (playwright, pypdf, pillow).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "docs" / "report"
WIDTH = 900          # pixels of a sheet picture
COLORS = 64          # palette size


def need(program: str, package: str) -> str:
    exe = shutil.which(program)
    if not exe:
        sys.exit(f"report_pictures: {program} is missing (apt-get install {package})")
    return exe


def small_png(image, dest: Path, width: int) -> None:
    """Trim the white margins, scale to ``width``, reduce to a palette, save optimized."""
    from PIL import Image, ImageChops

    rgb = image.convert("RGB")
    box = ImageChops.difference(rgb, Image.new("RGB", rgb.size, "white")).getbbox()
    if box:
        pad = 12
        rgb = rgb.crop((max(box[0] - pad, 0), max(box[1] - pad, 0), min(box[2] + pad, rgb.width),
                        min(box[3] + pad, rgb.height)))
    if rgb.width > width:
        rgb = rgb.resize((width, round(rgb.height * width / rgb.width)), Image.LANCZOS)
    rgb.quantize(colors=COLORS, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE).save(dest, optimize=True)


def sheet_pages(pdf: Path, sheets: list[str]) -> dict[str, int]:
    """Sheet name -> its first page (1-based), from the page headers."""
    from pypdf import PdfReader

    first: dict[str, int] = {}
    for number, page in enumerate(PdfReader(pdf).pages, 1):
        head = (page.extract_text() or "").splitlines()[:1]
        for name in sheets:
            if head and f" {name} " in f" {head[0]} " and name not in first:
                first[name] = number
    return first


def main() -> None:
    from PIL import Image

    from crmcli.config import load_settings
    from crmcli.report import make_report

    soffice = need("soffice", "libreoffice-calc-nogui fonts-noto-cjk")
    pdftoppm = need("pdftoppm", "poppler-utils")
    chromium = need("chromium", "chromium")
    settings = load_settings(ROOT / "examples" / "crm.toml")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        report = make_report(settings, output=str(folder / "report.xlsx")).report
        make_report(settings, output=str(folder / "report.html"))
        subprocess.run([soffice, f"-env:UserInstallation={(folder / 'profile').as_uri()}", "--headless",
                        "--convert-to", "pdf", "--outdir", str(folder), str(folder / "report.xlsx")],
                       check=True, capture_output=True, timeout=300)
        if OUT.exists():
            shutil.rmtree(OUT)
        OUT.mkdir(parents=True)
        pages = sheet_pages(folder / "report.pdf", report.sheet_names)
        for k, name in enumerate(report.sheet_names, 1):
            if name not in pages:
                continue
            stem = folder / f"page{k}"
            subprocess.run([pdftoppm, "-r", "110", "-png", "-singlefile", "-f", str(pages[name]), "-l",
                            str(pages[name]), str(folder / "report.pdf"), str(stem)], check=True)
            small_png(Image.open(f"{stem}.png"), OUT / f"sheet-{k:02d}.png", WIDTH)
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            for width, height, name in ((390, 1500, "html-phone.png"), (1200, 1700, "html-desktop.png")):
                page = browser.new_page(viewport={"width": width, "height": height})
                page.goto((folder / "report.html").as_uri())
                shot = folder / name
                page.screenshot(path=str(shot), clip={"x": 0, "y": 0, "width": width, "height": height})
                small_png(Image.open(shot), OUT / name, 390 if width < 600 else 800)
                page.close()
            browser.close()
    total = 0
    for f in sorted(OUT.iterdir()):
        total += f.stat().st_size
        print(f"{f.relative_to(ROOT)}  {f.stat().st_size / 1024:.0f} KB")
    print(f"total {total / 1024:.0f} KB")


if __name__ == "__main__":
    main()
