import { execFileSync } from 'node:child_process';

/** Does real git accept `name` as a branch name (`git check-ref-format --branch`)? */
export function gitAcceptsBranch(name: string): boolean {
  try {
    execFileSync('git', ['check-ref-format', '--branch', name], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
