"""API routes for area profiles."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["areas"])
