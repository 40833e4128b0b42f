"""Where the project and the shared reference data live."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SHARED_DIR = PROJECT_ROOT.parent / "shared"
BLOCKKIT_LIMITS = SHARED_DIR / "slack" / "blockkit-limits.json"
