import os from 'node:os';
import path from 'node:path';

/** `$AI_FLEET_HOME`, else `~/.ai_fleet`. */
export function fleetHome(env: NodeJS.ProcessEnv): string {
  const fromEnv = env.AI_FLEET_HOME;
  if (fromEnv && fromEnv.trim() !== '') return path.resolve(fromEnv);
  return path.join(homeDir(env), '.ai_fleet');
}

export function homeDir(env: NodeJS.ProcessEnv): string {
  return env.HOME && env.HOME !== '' ? env.HOME : os.homedir();
}

export const CONFIG_FILE = 'config.toml';
export const STATE_FILE = 'state.json';
export const REPO_CONFIG_FILE = '.fleet.toml';
