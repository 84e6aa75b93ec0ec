"""A stored entity for the backend-specific storage tests."""

from __future__ import annotations

from datetime import UTC, datetime

from shared.models import User, UserType


def make_user(user_id: str = "0b7d3c4e-1f2a-4b5c-8d9e-0f1a2b3c4d5e") -> User:
    now = datetime(2025, 10, 24, 10, 30, tzinfo=UTC)
    return User(
        id=user_id,
        name="María García",
        email="maria@test-azollon.com",
        company="Test Azollon",
        user_type=UserType.CLIENT,
        notes="New client from PyCon demo",
        created_at=now,
        updated_at=now,
    )
