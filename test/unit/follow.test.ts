import { describe, expect, it } from 'vitest';
import { newLines } from '../../src/core/follow.js';

describe('newLines', () => {
  it('returns only what was appended', () => {
    expect(newLines(['a', 'b', 'c'], ['a', 'b', 'c', 'd', 'e'])).toEqual(['d', 'e']);
  });
  it('copes with lines scrolled off the top', () => {
    expect(newLines(['a', 'b', 'c'], ['b', 'c', 'd'])).toEqual(['d']);
  });
  it('returns nothing when nothing changed', () => {
    expect(newLines(['a', 'b'], ['a', 'b'])).toEqual([]);
  });
  it('re-anchors when the last line was still being written', () => {
    expect(newLines(['a', 'b', 'progress 10%'], ['a', 'b', 'progress 100%', 'done'])).toEqual(['progress 100%', 'done']);
  });
  it('prints everything the first time', () => {
    expect(newLines([], ['x'])).toEqual(['x']);
  });
});
