// The MCP server through the official TypeScript SDK client (the family of Claude Desktop and the
// Inspector), which validates every structured result against the tool's output schema where there is one.
// Usage: node check.mjs <base-url> <api-key> <python> ; the stdio server inherits TASK_API_* / AWS_* from env.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport, getDefaultEnvironment } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const [baseUrl, apiKey, python] = process.argv.slice(2);
const failures = [];
const check = (condition, what, detail) => {
  if (!condition) failures.push(`${what}: ${detail ?? ""}`);
};

async function exercise(transportName, transport) {
  const client = new Client({ name: "task-api-ts-check", version: "1.0.0" });
  await client.connect(transport);
  const call = async (name, args) => {
    try {
      return await client.callTool({ name, arguments: args });
    } catch (error) {
      failures.push(`${transportName} ${name} threw ${error?.constructor?.name}: ${error?.message}`);
      return { isError: true, content: [] };
    }
  };
  const tools = (await client.listTools()).tools;
  check(tools.length === 18, `${transportName} tool count`, tools.map((t) => t.name).join(","));
  // The lists publish an output schema (their items change with `fields`); the tools returning one entity
  // send it as structuredContent without one (see TaskAPIServer.list_tools), which the SDK accepts.
  const lists = ["list_users", "find_users", "list_calls", "list_tasks"];
  for (const tool of tools) {
    check(Boolean(tool.outputSchema) === lists.includes(tool.name), `${transportName} ${tool.name} output schema`);
  }

  const tag = Math.random().toString(16).slice(2, 8);
  const user = await call("create_user", { name: "María García", email: `ts-${tag}@example.com`, company: "Azollon" });
  check(!user.isError, `${transportName} create_user`, JSON.stringify(user.content));
  const userId = user.structuredContent?.id;
  const scheduled = await call("schedule_call", {
    user_id: userId, title: "Onboarding", scheduled_for: "2031-03-10T12:00:00+02:00", duration_minutes: 45,
  });
  check(scheduled.structuredContent?.scheduled_for === "2031-03-10T10:00:00Z", `${transportName} schedule_call`,
    JSON.stringify(scheduled.structuredContent));
  const callId = scheduled.structuredContent?.id;
  const task = await call("create_task", { title: "Send the deck", user_id: userId, due_date: "2031-03-11T09:00:00Z" });
  const taskId = task.structuredContent?.id;
  const results = {
    get_user: await call("get_user", { user_id: userId }),
    list_users: await call("list_users", { limit: 1 }),
    find_users: await call("find_users", { query: "maria garcia" }),
    get_call: await call("get_call", { call_id: callId }),
    get_user_overview: await call("get_user_overview", { user_id: userId }),
    get_current_time: await call("get_current_time", {}),
    list_calls: await call("list_calls", { user_id: userId, scheduled_from: "2031-03-01T00:00:00Z" }),
    reschedule_call: await call("reschedule_call", { call_id: callId, scheduled_for: "2031-03-12T10:00:00Z" }),
    update_call_status: await call("update_call_status", { call_id: callId, status: "completed" }),
    get_task: await call("get_task", { task_id: taskId }),
    list_tasks: await call("list_tasks", { user_id: userId, due_before: "2031-04-01T00:00:00Z" }),
    update_task: await call("update_task", { task_id: taskId, description: "With examples" }),
    update_task_status: await call("update_task_status", { task_id: taskId, status: "in_progress" }),
    get_history: await call("get_history", { kind: "tasks", id: taskId }),
    revert_change: await call("revert_change", { kind: "tasks", id: taskId, version: 1, expected_version: 3 }),
  };
  for (const [name, result] of Object.entries(results)) {
    check(!result.isError && result.structuredContent, `${transportName} ${name}`, JSON.stringify(result.content));
  }
  check(results.find_users.structuredContent?.items?.some((u) => u.id === userId), `${transportName} find_users finds`);
  check(results.update_call_status.structuredContent?.status === "completed", `${transportName} status`);
  check(results.revert_change.structuredContent?.entity?.status === "todo", `${transportName} revert_change`,
    JSON.stringify(results.revert_change.structuredContent));
  check(results.get_user_overview.structuredContent?.upcoming_calls?.[0]?.id === callId,
    `${transportName} get_user_overview lists the call`, JSON.stringify(results.get_user_overview.structuredContent));
  const missing = await call("get_user", { user_id: "no-such-user" });
  check(missing.isError && missing.content[0]?.text?.includes("Call find_users or list_users"),
    `${transportName} unknown user is an actionable error`, JSON.stringify(missing.content));
  const badDuration = await call("schedule_call", {
    user_id: userId, title: "x", scheduled_for: "2031-03-10T10:00:00Z", duration_minutes: 5,
  });
  check(badDuration.isError && badDuration.content[0]?.text?.includes("duration_minutes"),
    `${transportName} duration out of range is an error result`, JSON.stringify(badDuration.content));
  await client.close();
  return userId;
}

const env = { ...getDefaultEnvironment() };
for (const [key, value] of Object.entries(process.env)) {
  if (key.startsWith("TASK_API_") || key.startsWith("AWS_")) env[key] = value;
}
const viaStdio = await exercise("stdio", new StdioClientTransport({ command: python, args: ["-m", "mcp_server"], env, stderr: "ignore" }));
const viaHttp = await exercise("http", new StreamableHTTPClientTransport(new URL(`${baseUrl}/mcp`), {
  requestInit: { headers: { "X-API-Key": apiKey } },
}));

let refused = false;
try {
  const client = new Client({ name: "task-api-ts-check", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${baseUrl}/mcp`)));
  await client.close();
} catch {
  refused = true;
}
check(refused, "http without the key is refused");

console.log(JSON.stringify({ failures, users: [viaStdio, viaHttp] }));
process.exit(failures.length ? 1 : 0);
