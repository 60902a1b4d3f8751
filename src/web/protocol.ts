/** What the server and the page say to each other (types only: the page bundles this file too). */

/** First event of /api/events: what this dashboard shows. */
export interface Hello {
  version: string;
  /** Every repository (--all), or `repo` only. */
  all: boolean;
  repo: { root: string; name: string } | null;
}

/** A create/fanout in progress: one agent's phase (creating worktree, setup, starting, ready, failed, …). */
export interface ProgressEvent {
  op: string;
  branch: string;
  state: string;
  detail: string | null;
}

/** An error answer of the API. */
export interface ApiError {
  error: string;
  hint?: string;
  /** A prompt refused because the agent is starting or has a dialog open (sending it with force would type it anyway). */
  refused?: { status: string; reason: string | null };
}
