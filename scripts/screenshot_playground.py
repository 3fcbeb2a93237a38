"""Render docs/playground.png (the tour's screenshot) in headless chromium.

Needs: pip install "tokenvec[web,data]" playwright; apt-get install chromium.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import uvicorn
from playwright.sync_api import sync_playwright

import tokenvec as tv
from tokenvec.app.web import create_app

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "playground.png"
# The sha256 of the page the screenshot shows: a test fails when the page changed since.
PAGE = ROOT / "src" / "tokenvec" / "app" / "web" / "static" / "index.html"
STAMP = OUT.with_suffix(".png.page-sha256")


def page_digest() -> str:
    import hashlib

    return hashlib.sha256(PAGE.read_bytes()).hexdigest()


def main() -> None:
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(tv.load("glove-6b-50d"), name="glove-6b-50d"), port=8765, log_level="warning"
        )
    )
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium")
        page = browser.new_page(viewport={"width": 1280, "height": 860})
        page.goto("http://127.0.0.1:8765/")
        page.fill("#word", "king")
        page.click("#similar-btn")
        page.wait_for_selector("#map g")
        page.click("#analogy-btn")
        page.click("#distance-btn")
        page.click("#tokenize-btn")
        page.wait_for_selector("#tokens .tok")
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(OUT), full_page=True)
        browser.close()
    server.should_exit = True
    STAMP.write_text(page_digest() + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
