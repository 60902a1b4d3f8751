/** The first non-blank line of a message (git and tmux put the reason there). */
export function firstLine(s: string): string {
  return s.split('\n').map((l) => l.trim()).find((l) => l.length > 0) ?? '';
}

/** "45s", "12m", "3h", "2d". */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h`;
  return `${Math.floor(h / 24)}d`;
}

/** Bytes in binary units: "512 B", "3.4 MiB". */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} ${units[i]}` : `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

/** "~/…" for paths under `home` (the user's HOME), so output stays short. */
export function tildify(p: string, home: string | undefined): string {
  return home && home !== '/' && (p === home || p.startsWith(home + '/')) ? '~' + p.slice(home.length) : p;
}

/** "1 commit", "2 commits"; `many` for irregular plurals. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** Up to `max` items joined by ", ", and how many more: "a, b, c, and 2 more". */
export function listSome(items: readonly string[], max = 3): string {
  return items.slice(0, max).join(', ') + (items.length > max ? `, and ${items.length - max} more` : '');
}

/**
 * git's whole message after `lead`: on the same line when it is one line, else indented below
 * it, so the files git lists are kept. git's own "error: "/"fatal: " prefixes are dropped (the
 * message is already fleet's error).
 */
export function withGitMessage(lead: string, stderr: string, tail = ''): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.replace(/^(error|fatal): /, '').replace(/^\t/, '    ').trimEnd())
    .filter((l) => l.trim() !== '');
  if (lines.length <= 1) return `${lead}: ${lines[0]?.trim() ?? 'no message from git'}${tail}`;
  return `${lead}${tail}:\n${lines.map((l) => `  ${l}`).join('\n')}`;
}

/** Words joined by `sep` into lines of at most `width` columns, the lines after the first indented by `indent` (help text). */
export function wrapWords(words: readonly string[], width: number, indent = '', sep = ' '): string {
  const lines: string[] = [];
  let line = '';
  for (const w of words) {
    const next = line === '' ? w : line + sep + w;
    if (line !== '' && (lines.length > 0 ? indent.length : 0) + next.length > width) {
      lines.push(line + sep.trimEnd());
      line = w;
    } else {
      line = next;
    }
  }
  if (line !== '') lines.push(line);
  return lines.map((l, i) => (i === 0 ? l : indent + l)).join('\n');
}

/**
 * Text from a file someone else wrote, made safe to show on a terminal: control characters
 * (escape sequences could move the cursor and hide a line, a lone \r overwrite one) and
 * invisible or direction-changing characters are shown as \u{…}.
 */
export function showable(text: string): string {
  return text.replace(/\r(?!\n)|[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
}
