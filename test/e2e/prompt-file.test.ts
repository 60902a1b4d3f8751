import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fleet, makeSandbox, readState, standIn, waitFor, recordedArgs, writeConfig, type Sandbox } from '../helpers/sandbox.js';

let sb: Sandbox;
let repo: string;
let out: string;
let rec: string;

beforeEach(async () => {
  sb = await makeSandbox();
  repo = await sb.repo();
  out = path.join(sb.dir, 'received');
  fs.mkdirSync(out);
  // Records every argument it gets (NUL-separated, byte for byte), then raw terminal input.
  rec = standIn(
    sb,
    'rec-agent',
    `printf '%s\\0' "$@" > "${out}/$FLEET_BRANCH.args"
echo "agent $FLEET_BRANCH ready"
stty raw -echo
exec cat > "${out}/$FLEET_BRANCH.input"`,
  );
  writeConfig(sb, `default_agent = "rec"\n[agents.rec]\ncommand = "${rec}"\n[agents.msg]\ncommand = "${rec} --message={prompt}"\n`);
});
afterEach(async () => {
  await sb.cleanup();
});

/** The arguments a stand-in agent received. */
const args = (branch: string) =>
  waitFor(() => {
    return recordedArgs(path.join(out, `${branch}.args`));
  }, { what: `${branch} to start` });

// A trailing newline and a CRLF line, which $(cat file) would have changed, plus what a shell would run.
const TASK = `# Task\r\nit's "quoted" $(touch PWNED) \`x\`; é ü\n\n  indented\n\n`;

describe('--prompt-file', () => {
  it('create: the agent gets the file byte for byte, trailing newlines and all', async () => {
    fs.writeFileSync(path.join(repo, 'task.md'), TASK);
    const r = await fleet(sb, ['create', 'from-file', '--prompt-file', 'task.md'], { cwd: repo });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(await args('from-file')).toEqual([TASK]);
  });

  it('create: - reads the prompt from stdin', async () => {
    const r = await fleet(sb, ['create', 'from-stdin', '--prompt-file', '-'], { cwd: repo, input: TASK });
    expect(r.exitCode).toBe(0);
    expect(await args('from-stdin')).toEqual([TASK]);
  });

  it('fanout: every agent gets the file', async () => {
    const file = path.join(sb.dir, 'shared.md');
    fs.writeFileSync(file, TASK);
    const r = await fleet(sb, ['fanout', '2', 'ff', '--prompt-file', file], { cwd: repo });
    expect(r.exitCode).toBe(0);
    expect(await args('ff-1')).toEqual([TASK]);
    expect(await args('ff-2')).toEqual([TASK]);
  });

  it('multi: plain branches take the --prompt-file prompt, pairs keep their own', async () => {
    fs.writeFileSync(path.join(repo, 'task.md'), TASK);
    const r = await fleet(sb, ['multi', 'try-a', 'try-b', 'review:Review both: a and b', '--prompt-file', 'task.md'], { cwd: repo });
    expect(r.stderr).not.toMatch(/error/);
    expect(r.exitCode).toBe(0);
    expect(await args('try-a')).toEqual([TASK]);
    expect(await args('try-b')).toEqual([TASK]);
    expect(await args('review')).toEqual(['Review both: a and b']);
  });

  it('multi: --prompt gives plain branches a prompt too; without one a plain branch is still refused', async () => {
    const r = await fleet(sb, ['multi', 'p-1', 'p-2', '--prompt', 'same for both'], { cwd: repo });
    expect(r.exitCode).toBe(0);
    expect(await args('p-1')).toEqual(['same for both']);
    const bad = await fleet(sb, ['multi', 'plain'], { cwd: repo });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/^error: "plain" is not a branch:prompt pair$/m);
    expect(bad.stderr).toMatch(/^hint: .*--prompt-file/m);
  });

  it('prompt: sends the file as typed input', async () => {
    expect((await fleet(sb, ['create', 'talk', '-p', 'hi'], { cwd: repo })).exitCode).toBe(0);
    await waitFor(async () => (await fleet(sb, ['logs', 'talk'], { cwd: repo })).stdout.includes('agent talk ready'));
    const notes = 'Now run the tests.\nThen fix "what fails" $(not this).';
    fs.writeFileSync(path.join(sb.dir, 'notes.md'), notes);
    const r = await fleet(sb, ['prompt', 'talk', '--prompt-file', path.join(sb.dir, 'notes.md')], { cwd: repo });
    expect(r.exitCode).toBe(0);
    const file = path.join(out, 'talk.input');
    const got = await waitFor(() => {
      const s = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
      return s.endsWith('\r') ? s : null;
    });
    expect(got).toBe(notes + '\r');
  });

  it.each([
    [['--prompt', 'x', '--prompt-file', 'task.md'], 2, /^error: --prompt and --prompt-file cannot be used together$/m],
    [['--prompt-file', 'nosuch.md'], 1, /^error: cannot read --prompt-file "nosuch\.md": no such file$/m],
    [['--prompt-file', 'latin1.md'], 1, /^error: the prompt in --prompt-file "latin1\.md" is not UTF-8 text$/m],
    [['--prompt-file', 'nul.md'], 1, /^error: the prompt in --prompt-file "nul\.md" contains a NUL byte/m],
    [['--prompt-file', 'empty.md'], 2, /^error: the prompt in --prompt-file "empty\.md" is empty$/m],
  ])('refuses %j before anything is made', async (flags, code, message) => {
    fs.writeFileSync(path.join(repo, 'task.md'), 'x');
    fs.writeFileSync(path.join(repo, 'latin1.md'), Buffer.from([0x63, 0x61, 0x66, 0xe9])); // "café" in Latin-1
    fs.writeFileSync(path.join(repo, 'nul.md'), 'a\0b');
    fs.writeFileSync(path.join(repo, 'empty.md'), '');
    const r = await fleet(sb, ['create', 'never', ...flags], { cwd: repo });
    expect(r.exitCode).toBe(code);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(readState(sb).agents).toEqual([]);
    expect(await sb.git(repo, 'branch', '--list', 'never')).toBe('');
  });
});

describe('the size of the argument that carries the prompt', () => {
  const LIMIT = 128 * 1024 - 1; // the longest single argument Linux passes to a program

  it('counts the text around {prompt}: --message={prompt} with a 128 KiB − 1 prompt is refused up front', async () => {
    const prompt = 'x'.repeat(LIMIT);
    const r = await fleet(sb, ['create', 'huge', '--agent', 'msg', '-p', prompt], { cwd: repo });
    expect(r.exitCode).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe(
      `error: the prompt is ${LIMIT} bytes, and with "--message={prompt}" around it the agent's argument is ${LIMIT + 10}; a program can be given at most ${LIMIT} bytes (128 KiB) in one argument`,
    );
    expect(readState(sb).agents).toEqual([]);
    expect(await sb.git(repo, 'branch', '--list', 'huge')).toBe('');
  });

  it('an argument of exactly the limit is delivered whole', async () => {
    const prompt = 'y'.repeat(LIMIT - '--message='.length);
    fs.writeFileSync(path.join(sb.dir, 'big.txt'), prompt);
    const r = await fleet(sb, ['create', 'edge', '--agent', 'msg', '--prompt-file', path.join(sb.dir, 'big.txt')], { cwd: repo });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    const got = await args('edge');
    expect(got).toHaveLength(1);
    expect(got[0]!.length).toBe(LIMIT);
    expect(got[0]).toBe(`--message=${prompt}`);
  });

  it('a prompt alone over the limit is refused too', async () => {
    fs.writeFileSync(path.join(sb.dir, 'over.txt'), 'z'.repeat(LIMIT + 1));
    const r = await fleet(sb, ['create', 'over', '--prompt-file', path.join(sb.dir, 'over.txt')], { cwd: repo });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/^error: the prompt is 131072 bytes; a program can be given at most 131071 bytes \(128 KiB\) in one argument$/m);
  });
});
