from __future__ import annotations

import sys
from pathlib import Path

# doctor_support.py sits beside the tests (the test directories are not packages).
sys.path.insert(0, str(Path(__file__).parent))
