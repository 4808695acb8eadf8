from __future__ import annotations

from hubgen.cli import run

run()
