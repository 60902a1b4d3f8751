/** One agent as fleet remembers it. The truth is tmux and git; this is advisory. */
export interface AgentRecord {
  /** Absolute path of the repository's main worktree (on this machine, also for an agent on a host). */
  repo: string;
  /** The name used in session names and worktree paths. */
  repo_name: string;
  branch: string;
  batch_id: string | null;
  agent: string;
  session: string;
  /** The agent's worktree: a path on this machine, or on its host. */
  worktree: string;
  /** The `[hosts.NAME]` the agent runs on; absent or null: this machine. */
  host?: string | null;
  /** On a host: the absolute path of the host's clone that holds the agent's branch. */
  remote_repo?: string | null;
  /** Commit the agent started from (diffs and "unmerged" are measured against it). */
  base_commit: string;
  /** What the user gave as --base (or the main checkout's branch). */
  base_ref: string;
  /** True when fleet created the branch (rollback deletes only branches fleet made). */
  created_branch: boolean;
  /** Files fleet copied in (credential_files), so they don't count as the agent's work. */
  copied_files: string[];
  created_at: string;
  /** First 500 characters of the prompt, for list --grouped. */
  prompt_preview: string;
  /** "creating" while being set up; "ready" once the agent runs. */
  phase: 'creating' | 'ready';
  /** The pid of the fleet process setting it up (a "creating" record whose owner died failed). */
  owner_pid: number | null;
  /** How the agent reports its state (src/hooks): "claude", "codex", "gemini", "opencode"; absent or null: from its output. */
  hooks?: string | null;
  /** The agent's own conversation id (chosen by fleet, or learned from its hooks): what `fleet revive` resumes. */
  conversation_id?: string | null;
  /** The agent's transcript, as its hooks reported it. */
  transcript?: string | null;
  /**
   * When that process started (process-table's ProcEntry.start), so a reused pid is not taken
   * for the owner. Absent in records written before it was kept: then the pid alone decides.
   */
  owner_start?: string | null;
  /** The URL of the issue it was started from (--issue), or null; absent in records of older fleets. */
  issue?: string | null;
  /** USD the agent may spend (--budget, or budget_usd when it was made); absent or null: none. */
  budget_usd?: number | null;
}

export interface StateFile {
  version: 1;
  agents: AgentRecord[];
}
