/** Line-level edits of a TOML config that keep the user's comments and layout. */

export function tomlValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(tomlValue).join(', ')}]`;
  return String(v);
}

const tableHeader = /^\s*\[/;
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Set a key: a top-level `key`, or `section.leaf` for a key inside a table (`agents.NAME.command`
 * is `command` in `[agents.NAME]`, `env.NAME` is `NAME` in `[env]`). An existing assignment (or,
 * for top-level keys, its commented default) is replaced in place; a new top-level key goes
 * before the first table, a new table at the end.
 */
export function setKeyInText(text: string, key: string, value: unknown, section: string | null = sectionOf(key)): string {
  const lines = text.split('\n');
  const leaf = section === null ? key : key.slice(section.length + 1);
  const line = `${leaf} = ${tomlValue(value)}`;
  const assign = new RegExp(`^\\s*${escape(leaf)}\\s*=`);
  if (section !== null) {
    const header = new RegExp(`^\\s*\\[\\s*${escape(section)}\\s*\\]\\s*(#.*)?$`);
    const start = lines.findIndex((l) => header.test(l));
    if (start !== -1) {
      let end = lines.findIndex((l, i) => i > start && tableHeader.test(l));
      if (end === -1) end = lines.length;
      const at = lines.findIndex((l, i) => i > start && i < end && assign.test(l));
      if (at !== -1) lines[at] = line;
      else lines.splice(start + 1, 0, line);
      return lines.join('\n');
    }
    const body = text.endsWith('\n') || text === '' ? text : text + '\n';
    return `${body}\n[${section}]\n${line}\n`;
  }
  const firstTable = lines.findIndex((l) => tableHeader.test(l));
  const limit = firstTable === -1 ? lines.length : firstTable;
  const commented = new RegExp(`^\\s*#\\s*${escape(leaf)}\\s*=`);
  let at = lines.findIndex((l, i) => i < limit && assign.test(l));
  if (at === -1) at = lines.findIndex((l, i) => i < limit && commented.test(l));
  if (at !== -1) {
    lines[at] = line;
    return lines.join('\n');
  }
  if (firstTable === -1) {
    const body = text === '' || text.endsWith('\n') ? text : text + '\n';
    return body + line + '\n';
  }
  lines.splice(firstTable, 0, line, '');
  return lines.join('\n');
}

/** The table a dotted key lives in (`agents.x.command` → `agents.x`), or null for a top-level key. */
function sectionOf(key: string): string | null {
  const dot = key.lastIndexOf('.');
  return dot === -1 ? null : key.slice(0, dot);
}
