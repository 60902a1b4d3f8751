/**
 * The process table as a tree, from one `ps -A -o pid=,ppid=` read. Pure: the caller runs ps.
 * An agent's cost is its whole tree (the agent and everything it started: node, python and
 * shell children are where the memory is), so metrics need the descendants of each pane pid.
 */

/** The argv that reads the process table in the shape parseProcessTable expects (Linux and macOS). */
export const PS_ARGS = ['-A', '-o', 'pid=,ppid='] as const;

export interface ProcessTree {
  /** pid → its parent's pid. */
  parent: Map<number, number>;
  /** pid → its children's pids. */
  children: Map<number, number[]>;
}

/** Parse `ps -A -o pid=,ppid=` output (two whitespace-separated numbers a line; others skipped). */
export function parseProcessTable(out: string): ProcessTree {
  const parent = new Map<number, number>();
  const children = new Map<number, number[]>();
  for (const line of out.split('\n')) {
    const m = /^\s*(\d+)\s+(\d+)\s*$/.exec(line);
    if (!m) continue;
    const pid = Number(m[1]);
    const ppid = Number(m[2]);
    parent.set(pid, ppid);
    const siblings = children.get(ppid);
    if (siblings) siblings.push(pid);
    else children.set(ppid, [pid]);
  }
  return { parent, children };
}

/**
 * Every process below `pid` (children, grandchildren, …), breadth first, without `pid`
 * itself. Guarded against cycles: a pid reused while ps was reading can make one.
 */
export function descendants(tree: ProcessTree, pid: number): number[] {
  const out: number[] = [];
  const seen = new Set<number>([pid]);
  const queue = [pid];
  while (queue.length > 0) {
    const p = queue.shift()!;
    for (const c of tree.children.get(p) ?? []) {
      if (seen.has(c)) continue;
      seen.add(c);
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

/** `pid` and its descendants, or [] when `pid` is not in the table (it has ended). */
export function treeOf(tree: ProcessTree, pid: number): number[] {
  return tree.parent.has(pid) ? [pid, ...descendants(tree, pid)] : [];
}
