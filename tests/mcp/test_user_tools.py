"""The user tools through an MCP client: create, get, list a page at a time, and find."""

from __future__ import annotations

import pytest

from tests.mcp.conftest import Tools, part_of

pytestmark = pytest.mark.anyio


async def test_create_user_returns_the_user_compact_with_a_new_id_and_stores_utc_timestamps(tools: Tools) -> None:
    user = await tools.make_user(user_type="prospect", notes="Met at PyCon")
    stored = await tools.get("user", user["id"])

    assert user["id"]
    assert user == {
        "id": user["id"],
        "name": "María García",
        "email": "maria@test-azollon.com",
        "company": "Test Azollon",
        "user_type": "prospect",
    }
    assert stored["notes"] == "Met at PyCon"
    assert stored["created_at"].endswith("Z")
    assert stored["updated_at"] == stored["created_at"]


async def test_create_user_defaults_to_a_client_without_notes(tools: Tools) -> None:
    user = await tools.make_user()

    assert user["user_type"] == "client"
    assert (await tools.get("user", user["id"]))["notes"] is None


async def test_get_user_reads_back_what_create_user_stored(tools: Tools) -> None:
    created = await tools.make_user()

    assert part_of(created, await tools.ok("get_user", user_id=created["id"]))


async def test_list_users_pages_through_everyone_oldest_first(tools: Tools) -> None:
    created = [await tools.make_user(name=f"User {n}", email=f"user{n}@example.com") for n in range(5)]

    seen: list[str] = []
    page = await tools.ok("list_users", limit=2)
    pages = 1
    while page["has_more"]:
        assert len(page["items"]) == 2
        seen += [user["id"] for user in page["items"]]
        page = await tools.ok("list_users", limit=2, cursor=page["next_cursor"])
        pages += 1
    seen += [user["id"] for user in page["items"]]

    assert pages == 3
    assert seen == [user["id"] for user in created]


async def test_list_users_without_a_limit_returns_up_to_fifty(tools: Tools) -> None:
    for n in range(3):
        await tools.make_user(email=f"user{n}@example.com")

    page = await tools.ok("list_users")

    assert len(page["items"]) == 3
    assert page["has_more"] is False


async def test_find_users_ignores_accents_and_case(tools: Tools) -> None:
    maria = await tools.make_user()
    await tools.make_user(name="Mario Rossi", email="mario@example.com", company="Rossi Srl")

    found = await tools.ok("find_users", query="maria garcia")

    assert [user["id"] for user in found["items"]] == [maria["id"]]
    assert found["has_more"] is False


async def test_find_users_searches_email_and_company_too(tools: Tools) -> None:
    maria = await tools.make_user()

    by_email = await tools.ok("find_users", query="maria@test-azollon.com")
    by_company = await tools.ok("find_users", query="AZOLLON")

    assert [user["id"] for user in by_email["items"]] == [maria["id"]]
    assert [user["id"] for user in by_company["items"]] == [maria["id"]]


async def test_find_users_with_no_match_is_an_empty_page_not_an_error(tools: Tools) -> None:
    await tools.make_user()

    found = await tools.ok("find_users", query="nobody")

    assert found == {"items": [], "has_more": False}


async def test_find_users_pages_with_limit_and_cursor(tools: Tools) -> None:
    for n in range(3):
        await tools.make_user(name=f"Ana {n}", email=f"ana{n}@example.com")

    first = await tools.ok("find_users", query="ana", limit=2)
    rest = await tools.ok("find_users", query="ana", limit=2, cursor=first["next_cursor"])

    assert [user["name"] for user in first["items"]] == ["Ana 0", "Ana 1"]
    assert [user["name"] for user in rest["items"]] == ["Ana 2"]
    assert (first["has_more"], rest["has_more"]) == (True, False)


async def test_find_users_with_a_blank_query_is_refused_rather_than_listing_everyone(tools: Tools) -> None:
    await tools.make_user()

    text = await tools.error("find_users", query="   ")

    assert "query" in text
    assert "should match pattern" in text
