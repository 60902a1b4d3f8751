// Which files make up one agent session: its main transcript plus the transcripts of the
// sub-agents it started, whose usage is part of what the session cost.
//
// - claude (@anthropic-ai/claude-code 2.1.197): `Tk(e)` puts a sub-agent's transcript at
//   join(projectDir, sessionId, "subagents"[, group], `agent-${e}.jsonl`), and workflow agents
//   under join(projectDir, sessionId, "subagents", "workflows", runId); Claude Code itself lists
//   them with `readdir(join(dir, s, "subagents"), {recursive: true})` filtered to ".jsonl".
// - gemini (@google/gemini-cli 0.61.0): a sub-agent records to
//   join(chatsDir, sanitizeFilenamePart(parentSessionId), `${sessionId}.jsonl`), with
//   sanitizeFilenamePart = part.replace(/[^a-zA-Z0-9_-]/g, "_"); the parent's sessionId is on the
//   first line of its own file.
// - codex: a sub-agent thread writes its own rollout under $CODEX_HOME/sessions, linked to its
//   parent only inside that file (session_meta.source.subagent); finding them means scanning the
//   sessions tree, which the caller can do and pass the files in.
// Directories are walked without following symlinks.
import fs from 'node:fs';
import path from 'node:path';
import type { TranscriptRef } from './transcript-cache.js';

function jsonlFilesUnder(dir: string, depth = 4): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const p = path.join(dir, e.name);
    if (e.isFile() && e.name.endsWith('.jsonl')) out.push(p);
    else if (e.isDirectory() && depth > 0) out.push(...jsonlFilesUnder(p, depth - 1));
  }
  return out;
}

function firstLine(file: string): string {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  } catch {
    return '';
  }
  try {
    const buf = Buffer.alloc(64 * 1024);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    const nl = buf.indexOf(10);
    return buf.toString('utf8', 0, nl === -1 || nl > n ? n : nl);
  } catch {
    return '';
  } finally {
    fs.closeSync(fd);
  }
}

/** The main transcript of a claude session and those of its sub-agents. */
export function claudeSessionFiles(mainTranscript: string): TranscriptRef[] {
  const main = path.resolve(mainTranscript);
  const sessionDir = path.join(path.dirname(main), path.basename(main, '.jsonl'), 'subagents');
  return [main, ...jsonlFilesUnder(sessionDir)].map((p) => ({ path: p, kind: 'claude' as const }));
}

/** The main recording of a gemini session and those of its sub-agents. */
export function geminiSessionFiles(mainRecording: string): TranscriptRef[] {
  const main = path.resolve(mainRecording);
  const refs: TranscriptRef[] = [{ path: main, kind: 'gemini' }];
  let sessionId: unknown;
  try {
    sessionId = (JSON.parse(firstLine(main)) as { sessionId?: unknown }).sessionId;
  } catch {
    return refs;
  }
  if (typeof sessionId !== 'string' || sessionId === '') return refs;
  const dir = path.join(path.dirname(main), sessionId.replace(/[^a-zA-Z0-9_-]/g, '_'));
  for (const p of jsonlFilesUnder(dir, 0)) refs.push({ path: p, kind: 'gemini' });
  return refs;
}

/** A codex rollout (sub-agent rollouts, if wanted, are passed in by the caller). */
export function codexSessionFiles(rollout: string): TranscriptRef[] {
  return [{ path: path.resolve(rollout), kind: 'codex' }];
}
