/**
 * Everything an agent needs to report its state, assembled when it starts: the hook script in
 * the fleet home, the flags that give the agent fleet's hooks (inserted right after its
 * program), the environment it gets, and the conversation id when fleet chooses it.
 */
import crypto from 'node:crypto';
import { claudeSettings, codexHookArgs, type HookKind } from './agents.js';
import { ensureGeminiHome } from './gemini-home.js';
import { ensureHookScript } from './hook-script.js';
import { ensureOpencodePlugin, opencodeConfigContent } from './opencode-plugin.js';
import { geminiTrustsRepo } from './trust.js';

export interface HookLaunch {
  /** The kind that reports its state, or null when it cannot here (then: status from output). */
  kind: HookKind | null;
  /** Flags to insert after the agent's program. */
  flags: string[];
  /** Environment for the agent. */
  env: Record<string, string>;
  /** The conversation id fleet chose (claude and gemini take one), else null (learned from the hooks). */
  conversation: string | null;
  /** Why the agent runs without hooks (shown to the user). */
  note: string | null;
}

export interface HookLaunchRequest {
  /** The fleet home (hook files live there). */
  home: string;
  /** fleet's environment (to find the user's agent homes). */
  env: NodeJS.ProcessEnv;
  repoRoot: string;
  /** Resuming an existing conversation: no new id is chosen. */
  resuming: boolean;
  /** The hook script's path where the agent runs (an agent on a host: the host's); default: written in `home`. */
  script?: string;
}

export function prepareHooks(kind: HookKind, req: HookLaunchRequest): HookLaunch {
  const script = req.script ?? ensureHookScript(req.home);
  const none = (note: string): HookLaunch => ({ kind: null, flags: [], env: {}, conversation: null, note });
  switch (kind) {
    case 'claude': {
      const id = req.resuming ? null : crypto.randomUUID();
      return {
        kind,
        flags: [...(id ? ['--session-id', id] : []), '--settings', claudeSettings(script)],
        env: {},
        conversation: id,
        note: null,
      };
    }
    case 'codex':
      return {
        kind,
        flags: [
          // No shared app-server daemon (it outlives the session); an Enter right after text is a submit, not a newline.
          '--no-daemon',
          '-c', 'disable_paste_burst=true',
          '-c', 'check_for_update_on_startup=false',
          ...codexHookArgs(script),
        ],
        env: {},
        conversation: null,
        note: null,
      };
    case 'gemini': {
      const home = ensureGeminiHome(req.home, req.env, script);
      if (!home) return none('gemini has not been set up here (no ~/.gemini/settings.json), so its status comes from its output');
      const id = req.resuming ? null : crypto.randomUUID();
      return {
        kind,
        flags: [...(id ? ['--session-id', id] : []), ...(geminiTrustsRepo(req.env, req.repoRoot) ? ['--skip-trust'] : [])],
        env: { GEMINI_CLI_HOME: home.home, GEMINI_CLI_TRUSTED_FOLDERS_PATH: home.trustedFolders },
        conversation: id,
        note: null,
      };
    }
    case 'opencode': {
      const content = opencodeConfigContent(ensureOpencodePlugin(req.home, script), req.env.OPENCODE_CONFIG_CONTENT);
      if (!content) return none('OPENCODE_CONFIG_CONTENT in your environment is not a JSON object, so fleet cannot add its plugin; its status comes from its output');
      return { kind, flags: [], env: { OPENCODE_CONFIG_CONTENT: content }, conversation: null, note: null };
    }
  }
}
