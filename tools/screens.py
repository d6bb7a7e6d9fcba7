"""`make screens`: run the portal's browser tests with SCREENS=1, so each page they visit is
saved to docs/screens/ (phone-sized, Persian, and a few in English), then index them in
docs/screens/README.md for review. A screenshot that cannot be taken never fails a test; a
failing test still fails this command.

`python -m tools.screens tests/browser/test_portal_books.py …`: only those modules, keeping
the other screenshots (so one new page's shots need not run every browser test)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCREENS = ROOT / "docs" / "screens"


def main(modules: list[str]) -> int:
    SCREENS.mkdir(parents=True, exist_ok=True)
    if not modules:
        for old in SCREENS.glob("*.png"):
            old.unlink()
    env = os.environ | {"SCREENS": "1", "PYTHONPATH": str(ROOT)}
    chosen = ["-x", *modules] if modules else ["tests/browser"]
    result = subprocess.run([sys.executable, "-m", "pytest", *chosen], cwd=ROOT, env=env, check=False)
    shots = sorted(SCREENS.glob("*.png"))
    lines = ["# Portal screenshots", "",
             "Taken by the browser tests in headless Chromium at a phone's width (412 CSS pixels);",
             "refreshed with `make screens`. `-fa` pages are Persian (right to left), `-en` English.", ""]
    lines += [f"- `{shot.name}`\n\n  ![{shot.stem}]({shot.name})\n" for shot in shots]
    (SCREENS / "README.md").write_text("\n".join(lines), encoding="utf-8")
    print(f"{len(shots)} screenshots in {SCREENS.relative_to(ROOT)}/")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
