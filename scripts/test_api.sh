#!/usr/bin/env bash
# The spec's "Complete Testing Flow", against a running server: health, a user, a call, a task, the lists,
# then status changes. Needs curl and jq. Stops at the first failure, saying which step failed.
#
#   ./scripts/test_api.sh                                   # http://localhost:8000, the default key
#   BASE_URL=http://127.0.0.1:9000 TASK_API_KEY=... ./scripts/test_api.sh
set -euo pipefail

BASE_URL="${BASE_URL:-http://localhost:8000}"
API_KEY="${TASK_API_KEY:-demo-secret-key-change-in-production}"

for tool in curl jq; do
  command -v "$tool" >/dev/null || { echo "$tool is needed: install it (e.g. apt-get install $tool)" >&2; exit 1; }
done

step() { printf '\n=== %s ===\n' "$1"; }
fail() { echo "FAILED: $1" >&2; exit 1; }

# 1. Health check
step "1. Health check"
curl -sS --fail-with-body "$BASE_URL/health" | jq -e '.status == "healthy"' >/dev/null \
  || fail "GET $BASE_URL/health: is the server running?"
curl -sS "$BASE_URL/health" | jq

# 2. Create a user
step "2. Create a user"
USER_RESPONSE=$(curl -sS --fail-with-body -X POST "$BASE_URL/users" \
  -H "X-API-Key: $API_KEY" \
  -H "Content-Type: application/json" \
  -d '{
    "name": "Test User",
    "email": "test@example.com",
    "company": "Test Company"
  }') || fail "POST /users: $USER_RESPONSE"

# Extract user ID (requires jq)
USER_ID=$(echo "$USER_RESPONSE" | jq -r '.id')
echo "Created user: $USER_ID"

# 3. Schedule a call for this user
step "3. Schedule a call"
CALL_RESPONSE=$(curl -sS --fail-with-body -X POST "$BASE_URL/calls" \
  -H "X-API-Key: $API_KEY" \
  -H "Content-Type: application/json" \
  -d "{
    \"user_id\": \"$USER_ID\",
    \"title\": \"Test Call\",
    \"scheduled_for\": \"2025-10-25T10:00:00Z\",
    \"duration_minutes\": 30
  }") || fail "POST /calls: $CALL_RESPONSE"

CALL_ID=$(echo "$CALL_RESPONSE" | jq -r '.id')
echo "Created call: $CALL_ID"

# 4. Create a task
step "4. Create a task"
TASK_RESPONSE=$(curl -sS --fail-with-body -X POST "$BASE_URL/tasks" \
  -H "X-API-Key: $API_KEY" \
  -H "Content-Type: application/json" \
  -d "{
    \"title\": \"Follow up with Test User\",
    \"user_id\": \"$USER_ID\"
  }") || fail "POST /tasks: $TASK_RESPONSE"

TASK_ID=$(echo "$TASK_RESPONSE" | jq -r '.id')
echo "Created task: $TASK_ID"

# 5. List everything
step "All Users"
curl -sS --fail-with-body "$BASE_URL/users" -H "X-API-Key: $API_KEY" | jq

step "All Calls"
curl -sS --fail-with-body "$BASE_URL/calls" -H "X-API-Key: $API_KEY" | jq

step "All Tasks"
curl -sS --fail-with-body "$BASE_URL/tasks" -H "X-API-Key: $API_KEY" | jq

# 6. Update statuses
step "6. Update statuses"
curl -sS --fail-with-body -X PATCH "$BASE_URL/calls/$CALL_ID/status?new_status=completed" \
  -H "X-API-Key: $API_KEY" | jq -e '.status == "completed"' >/dev/null || fail "PATCH /calls/$CALL_ID/status"
curl -sS "$BASE_URL/calls/$CALL_ID" -H "X-API-Key: $API_KEY" | jq

curl -sS --fail-with-body -X PATCH "$BASE_URL/tasks/$TASK_ID/status?new_status=done" \
  -H "X-API-Key: $API_KEY" | jq -e '.status == "done"' >/dev/null || fail "PATCH /tasks/$TASK_ID/status"
curl -sS "$BASE_URL/tasks/$TASK_ID" -H "X-API-Key: $API_KEY" | jq

printf '\n✅ Complete testing flow executed!\n'
