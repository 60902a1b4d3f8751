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

/** `text` wrapped at spaces into lines of at most `width` characters (a longer word stays whole). */
export function wrapWords(text: string, width = 80): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines.join('\n');
}
