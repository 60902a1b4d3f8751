import { describe, expect, it } from 'vitest';
import { hookedState, needsUser, STARTING_GRACE_SECONDS, startingReason, userFirst, type HookFacts } from '../../src/core/agent-state.js';

const T = 1_800_000_000;
const facts = (f: Partial<HookFacts>): HookFacts => ({ state: null, at: null, reason: null, sessionActivity: T - 100, activity: T - 100, created: T - 100, ...f });
const at = (f: Partial<HookFacts>, nowS = T) => hookedState(facts(f), { now: nowS * 1000, idleSeconds: 30, branch: 'fix' });

describe('status of an agent with hooks', () => {
  it('starting until its first hook; after the grace period it says a dialog may be open', () => {
    expect(at({ created: T - 5 })).toEqual({ status: 'starting', reason: null, since: T - 5 });
    expect(at({ created: T - STARTING_GRACE_SECONDS - 1 })).toEqual({
      status: 'starting',
      reason: 'has not taken its prompt: a dialog may be open — fleet attach fix',
      since: T - STARTING_GRACE_SECONDS - 1,
    });
  });

  it('working, done (with a failed turn\'s reason), waiting with the reason and since when', () => {
    expect(at({ state: 'working', at: T - 3 })).toEqual({ status: 'working', reason: null, since: T - 3 });
    expect(at({ state: 'done', at: T - 3, reason: 'API Error: 529' })).toEqual({ status: 'done', reason: 'API Error: 529', since: T - 3 });
    expect(at({ state: 'waiting', at: T - 9, reason: 'permission: Bash(npm test)' })).toEqual({ status: 'waiting', reason: 'permission: Bash(npm test)', since: T - 9 });
  });

  it('a dialog the user answered in the session (typed, then output goes on) reads working; quiet again, waiting', () => {
    const answered = { state: 'waiting', at: T - 20, reason: 'permission: Bash(npm test)', sessionActivity: T - 10 };
    expect(at({ ...answered, activity: T - 2 })).toMatchObject({ status: 'working', reason: null, since: T - 10 });
    // Output, but long ago (a declined request whose agent sits at its prompt): still waiting, never "done".
    expect(at({ ...answered, activity: T - 7 }, T + 60)).toMatchObject({ status: 'waiting' });
    // Only the redraw an attach or a key press causes at once (the dialog still open): waiting.
    expect(at({ ...answered, activity: T - 9 })).toMatchObject({ status: 'waiting' });
    // Typing before the request does not count.
    expect(at({ ...answered, sessionActivity: T - 30, activity: T - 2 })).toMatchObject({ status: 'waiting' });
  });

  it('puts the agents that need the user first, longest waiting first, and keeps the rest in order', () => {
    const rows = [
      { b: 'a', status: 'working', reason: null, since: 1 },
      { b: 'b', status: 'waiting', reason: 'x', since: 50 },
      { b: 'c', status: 'starting', reason: null, since: 2 },
      { b: 'd', status: 'starting', reason: startingReason('d'), since: 40 },
      { b: 'e', status: 'idle', reason: null, since: null },
      { b: 'f', status: 'waiting', reason: 'y', since: 10 },
    ];
    expect(userFirst(rows).map((r) => r.b)).toEqual(['f', 'd', 'b', 'a', 'c', 'e']);
    expect(rows.filter(needsUser).map((r) => r.b)).toEqual(['b', 'd', 'f']);
  });

  it('a reason that is not a stuck start (a budget, joined after the hook\'s) does not make a starting agent need the user', () => {
    expect(needsUser({ status: 'starting', reason: 'over budget ($5.10 of $5.00)' })).toBe(false);
    expect(needsUser({ status: 'starting', reason: `${startingReason('x')}; over budget ($5.10 of $5.00)` })).toBe(true);
    expect(needsUser({ status: 'done', reason: 'over budget ($5.10 of $5.00)' })).toBe(false);
  });
});
