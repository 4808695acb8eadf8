"""hubgen: a static site generator for community knowledge hubs."""

from __future__ import annotations

__version__ = "0.1.0"
