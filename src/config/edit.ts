/** Line-level edits of a TOML config that keep the user's comments and layout. */

export function tomlValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(tomlValue).join(', ')}]`;
  return String(v);
}

const tableHeader = /^\s*\[/;

/**
 * Set a top-level key, or `agents.NAME.command`. An existing assignment (or its commented
 * default) is replaced in place; otherwise the line goes before the first table.
 */
export function setKeyInText(text: string, key: string, value: unknown): string {
  const lines = text.split('\n');
  const line = (k: string) => `${k} = ${tomlValue(value)}`;
  const agent = /^agents\.([A-Za-z0-9_-]+)\.command$/.exec(key);
  if (agent) {
    const header = `[agents.${agent[1]}]`;
    const start = lines.findIndex((l) => l.trim() === header);
    if (start !== -1) {
      let end = lines.findIndex((l, i) => i > start && tableHeader.test(l));
      if (end === -1) end = lines.length;
      const at = lines.findIndex((l, i) => i > start && i < end && /^\s*command\s*=/.test(l));
      if (at !== -1) lines[at] = line('command');
      else lines.splice(start + 1, 0, line('command'));
      return lines.join('\n');
    }
    const body = text.endsWith('\n') || text === '' ? text : text + '\n';
    return `${body}\n${header}\n${line('command')}\n`;
  }
  const firstTable = lines.findIndex((l) => tableHeader.test(l));
  const limit = firstTable === -1 ? lines.length : firstTable;
  const assign = new RegExp(`^\\s*${key}\\s*=`);
  const commented = new RegExp(`^\\s*#\\s*${key}\\s*=`);
  let at = lines.findIndex((l, i) => i < limit && assign.test(l));
  if (at === -1) at = lines.findIndex((l, i) => i < limit && commented.test(l));
  if (at !== -1) {
    lines[at] = line(key);
    return lines.join('\n');
  }
  if (firstTable === -1) {
    const body = text === '' || text.endsWith('\n') ? text : text + '\n';
    return body + line(key) + '\n';
  }
  lines.splice(firstTable, 0, line(key), '');
  return lines.join('\n');
}
