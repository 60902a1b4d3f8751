/** Shell-style globs over names (`fleet kill 'fix-*'`, credential_files patterns). Pure. */

/** Does `name` match a glob with `*`, `?` and `[...]` (as in `fleet kill 'fix-*'`)? */
export function globMatch(glob: string, name: string): boolean {
  let re = '^';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end === -1) re += '\\[';
      else {
        let cls = glob.slice(i + 1, end).replace(/\\/g, '\\\\');
        if (cls.startsWith('!')) cls = '^' + cls.slice(1);
        re += `[${cls}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  return new RegExp(re + '$').test(name);
}

export function isGlob(s: string): boolean {
  return /[*?[]/.test(s);
}
