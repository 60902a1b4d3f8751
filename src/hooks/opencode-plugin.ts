/**
 * opencode has no command hooks; it loads plugins (JS, in-process) named in its config, and
 * OPENCODE_CONFIG_CONTENT adds a config layer without touching the user's files. fleet's plugin
 * turns opencode's events into calls of the same hook script the other agents run, with a
 * payload shaped like theirs (opencode 1.18.33: session.status busy → working,
 * permission.asked → waiting, permission.replied → working, session.idle → done; events of
 * sub-agent sessions are ignored except their permission requests). Calls run one after the
 * other, so the last state written is the last event's.
 */
import { ensureContentFile, hooksDir } from './hook-script.js';

export function opencodePluginSource(script: string): string {
  return `// fleet's opencode plugin (generated; fleet rewrites it): this agent's state into its tmux session.
import { spawn } from "node:child_process";
const SCRIPT = ${JSON.stringify(script)};
let root = null;
let chain = Promise.resolve();
function hook(state, event, payload) {
  if (!process.env.TMUX_PANE) return chain;
  chain = chain.then(() => new Promise((resolve) => {
    try {
      const child = spawn("sh", [SCRIPT, state, event], { stdio: ["pipe", "ignore", "ignore"] });
      child.on("error", () => resolve());
      child.on("close", () => resolve());
      child.stdin.on("error", () => {});
      child.stdin.end(JSON.stringify(payload));
    } catch {
      resolve();
    }
  }));
  return chain;
}
export const FleetStatus = async () => ({
  event: async ({ event }) => {
    const type = event && event.type;
    const p = (event && event.properties) || {};
    if (type === "session.created") {
      const info = p.info || {};
      if (!info.parentID && !root) root = info.id || null;
      return;
    }
    const sid = p.sessionID;
    if (type === "permission.asked") {
      const m = p.metadata || {};
      const detail = typeof m.command === "string" ? m.command : (Array.isArray(p.patterns) ? p.patterns.join(" ") : "");
      return hook("waiting", "PermissionRequest", { session_id: root || sid, tool_name: String(p.permission || "permission"), tool_input: { command: detail } });
    }
    if (!sid) return;
    if (!root) root = sid;
    if (sid !== root) return;
    if (type === "session.status" && p.status && p.status.type === "busy") return hook("working", "UserPromptSubmit", { session_id: sid });
    if (type === "permission.replied" && p.reply !== "reject") return hook("working", "PostToolUse", { session_id: sid });
    if (type === "session.idle") return hook("done", "Stop", { session_id: sid });
  },
});
`;
}

/** The plugin file in the fleet home (content-addressed, so a running agent's never changes); its path. */
export function ensureOpencodePlugin(home: string, script: string): string {
  return ensureContentFile(hooksDir(home), 'opencode-fleet', '.js', opencodePluginSource(script));
}

/** OPENCODE_CONFIG_CONTENT with fleet's plugin added to what the user already set there; null when theirs is not a JSON object. */
export function opencodeConfigContent(plugin: string, existing: string | undefined): string | null {
  let config: Record<string, unknown> = {};
  if (existing && existing.trim() !== '') {
    try {
      const v: unknown = JSON.parse(existing);
      if (!v || typeof v !== 'object' || Array.isArray(v)) return null;
      config = v as Record<string, unknown>;
    } catch {
      return null;
    }
  }
  const plugins = Array.isArray(config.plugin) ? (config.plugin as unknown[]) : [];
  return JSON.stringify({ ...config, plugin: [...plugins, `file://${plugin}`] });
}
