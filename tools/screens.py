"""`make screens`: run the portal's browser tests with SCREENS=1, so each page they visit is
saved to docs/screens/ (phone-sized, Persian, and a few in English), then index them in
docs/screens/README.md for review. A screenshot that cannot be taken never fails a test; a
failing test still fails this command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCREENS = ROOT / "docs" / "screens"


def main() -> int:
    SCREENS.mkdir(parents=True, exist_ok=True)
    for old in SCREENS.glob("*.png"):
        old.unlink()
    env = os.environ | {"SCREENS": "1", "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-m", "pytest", "tests/browser"], cwd=ROOT, env=env, check=False)
    shots = sorted(SCREENS.glob("*.png"))
    lines = ["# Portal screenshots", "",
             "Taken by the browser tests in headless Chromium at a phone's width (412 CSS pixels);",
             "refreshed with `make screens`. `-fa` pages are Persian (right to left), `-en` English.", ""]
    lines += [f"- `{shot.name}`\n\n  ![{shot.stem}]({shot.name})\n" for shot in shots]
    (SCREENS / "README.md").write_text("\n".join(lines), encoding="utf-8")
    print(f"{len(shots)} screenshots in {SCREENS.relative_to(ROOT)}/")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
