/**
 * Lines of `next` (a fresh capture) that come after what was already printed (`prev`, the
 * previous capture). The end of `prev` is searched for in `next`; what follows it is new. The
 * last line or two of `prev` may have been still in the making (a prompt, a progress bar), so
 * the search retries without them. When nothing lines up (a full-screen redraw), the lines
 * after the part both captures share from the top are new.
 */
export function newLines(prev: readonly string[], next: readonly string[]): string[] {
  if (prev.length === 0) return [...next];
  for (let drop = 0; drop <= 2 && drop < prev.length; drop++) {
    const upto = prev.length - drop;
    // Longest run first: the last 12 printed lines, then fewer (the top may have scrolled away).
    for (let anchor = Math.min(upto, 12); anchor >= 1; anchor--) {
      const tail = prev.slice(upto - anchor, upto);
      for (let end = next.length; end >= anchor; end--) {
        let ok = true;
        for (let k = 0; k < anchor && ok; k++) ok = next[end - anchor + k] === tail[k];
        if (ok) return next.slice(end);
      }
    }
  }
  let common = 0;
  while (common < prev.length && common < next.length && prev[common] === next[common]) common++;
  return next.slice(common);
}
