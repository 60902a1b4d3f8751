/** The shell's word splitting, without its expansions, and its quoting. Pure. */

/**
 * Split a command line into argv the way a POSIX shell would split words (quotes and
 * backslashes), without expanding anything. Used for `[agents.NAME] command = "..."`.
 */
export function splitCommandLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end === -1) throw new Error('unterminated single quote');
      cur += line.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      i++;
      inWord = true;
      while (i < line.length && line[i] !== '"') {
        if (line[i] === '\\' && i + 1 < line.length && '"\\$`\n'.includes(line[i + 1]!)) {
          cur += line[i + 1];
          i += 2;
        } else cur += line[i++];
      }
      if (i >= line.length) throw new Error('unterminated double quote');
      i++;
    } else if (c === '\\' && i + 1 < line.length) {
      cur += line[i + 1];
      inWord = true;
      i += 2;
    } else if (/\s/.test(c)) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
      i++;
    } else {
      cur += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) out.push(cur);
  return out;
}

/**
 * POSIX shell quoting: for commands that run on a remote host (ssh joins its arguments with
 * spaces and hands the result to the remote user's login shell) and for commands fleet prints
 * for the user to paste. Inside single quotes a POSIX shell takes every byte literally ($, `, \,
 * newline, unicode), and the only character that needs care is the single quote itself ('\''
 * closes the quote, adds an escaped quote, reopens).
 */
export function shQuote(word: string): string {
  // A leading "=" is quoted: zsh expands "=cmd" into the command's path.
  if (/^[A-Za-z0-9_@%+:,./-][A-Za-z0-9_@%+=:,./-]*$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** argv → one shell command line, each word quoted. */
export function shJoin(argv: readonly string[]): string {
  return argv.map(shQuote).join(' ');
}
