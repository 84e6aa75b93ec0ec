"""The naive baseline, written plainly for the bench: the design the list path replaced.

Every handler is `async def` and calls boto3 directly (so it blocks the event loop); a list is one LIST and
then one GET per object, in sequence, whatever page is asked for; a create checks its user with a GET and
writes with boto3's defaults (Expect: 100-continue, a pool of 10). It reads and writes the same JSON objects
as the real server, so both run on copies of one data set. Run it as
`TASK_API_PORT=P python -m bench.naive_app --bucket B --endpoint URL` (the port as the real server takes it).
"""

from __future__ import annotations

import argparse
import json
import os
import uuid
from datetime import UTC, datetime
from typing import Any

import boto3
import uvicorn
from fastapi import FastAPI, HTTPException
from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings


def build_app(bucket: str, endpoint: str) -> FastAPI:
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")

    def read(key: str) -> dict[str, Any] | None:
        try:
            body: dict[str, Any] = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
        except s3.exceptions.NoSuchKey:
            return None
        return body

    def read_all(prefix: str) -> list[dict[str, Any]]:
        keys = [
            item["Key"]
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
            for item in page.get("Contents", [])
        ]
        items = [item for key in keys if (item := read(key)) is not None]
        return sorted(items, key=lambda item: (item["created_at"], item["id"]))

    def write(key: str, item: dict[str, Any]) -> None:
        s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(item).encode(), ContentType="application/json")

    app = FastAPI(title="naive baseline")

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "healthy"}

    @app.post("/tasks", status_code=201)
    async def create_task(body: dict[str, Any]) -> dict[str, Any]:
        if body.get("user_id") and read(f"users/{body['user_id']}.json") is None:
            raise HTTPException(404, f"User {body['user_id']} not found")
        now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        task = {"id": str(uuid.uuid4()), "status": "todo", "created_at": now, "updated_at": now, **body}
        write(f"tasks/{task['id']}.json", task)
        return task

    @app.get("/tasks/{task_id}")
    async def get_task(task_id: str) -> dict[str, Any]:
        task = read(f"tasks/{task_id}.json")
        if task is None:
            raise HTTPException(404, f"Task {task_id} not found")
        return task

    @app.get("/tasks")
    async def list_tasks(user_id: str | None = None, status_filter: str | None = None) -> list[dict[str, Any]]:
        return [
            task
            for task in read_all("tasks/")
            if (user_id is None or task.get("user_id") == user_id)
            and (status_filter is None or task["status"] == status_filter)
        ]

    @app.patch("/tasks/{task_id}/status")
    async def update_task_status(task_id: str, new_status: str) -> dict[str, Any]:
        task = await get_task(task_id)
        task["status"] = new_status
        task["updated_at"] = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        write(f"tasks/{task_id}.json", task)
        return task

    mcp = MCPServer(name="naive")

    @mcp.tool(name="list_tasks")
    async def list_tasks_tool(limit: int = 50, cursor: str | None = None) -> dict[str, Any]:
        tasks = read_all("tasks/")
        start = int(cursor or 0)
        more = start + limit < len(tasks)
        return {"items": tasks[start : start + limit], "next_cursor": str(start + limit) if more else None}

    @mcp.tool(name="get_task")
    async def get_task_tool(task_id: str) -> dict[str, Any]:
        return await get_task(task_id)

    mcp_app = mcp.streamable_http_app(
        streamable_http_path="/mcp",
        stateless_http=True,
        json_response=True,
        transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
    )
    app.router.routes.extend(mcp_app.routes)
    app.router.lifespan_context = lambda _: mcp.session_manager.run()
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("TASK_API_PORT", "8000")))
    parser.add_argument("--bucket", required=True)
    parser.add_argument("--endpoint", required=True)
    args = parser.parse_args()
    uvicorn.run(build_app(args.bucket, args.endpoint), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
