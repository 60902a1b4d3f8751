import { describe, expect, it } from 'vitest';
import { connectionOptions, gitSshCommand, gitUrl, parseSshCommand, sshArgv } from '../../src/remote/ssh-command.js';
import { validateConfig } from '../../src/config/validate.js';
import { resolveHost } from '../../src/config/hosts.js';

describe('parseSshCommand', () => {
  it('takes a whole ssh command line apart: program, the options with their values, the destination', () => {
    expect(parseSshCommand('ssh -p 2222 user@build1')).toEqual({ program: 'ssh', options: ['-p', '2222'], destination: 'user@build1' });
    expect(parseSshCommand('/usr/local/bin/ssh -4Cvp2222 -i "/k/my key" -o ProxyJump=bastion -J j1,j2 user@build1')).toEqual({
      program: '/usr/local/bin/ssh',
      options: ['-4', '-C', '-v', '-p', '2222', '-i', '/k/my key', '-o', 'ProxyJump=bastion', '-J', 'j1,j2'],
      destination: 'user@build1',
    });
  });
  it('reads a plain destination or alias as "ssh <it>"', () => {
    expect(parseSshCommand('user@build1')).toEqual({ program: 'ssh', options: [], destination: 'user@build1' });
    expect(parseSshCommand('build1')).toEqual({ program: 'ssh', options: [], destination: 'build1' });
  });
  it('accepts options after the destination, as ssh does, and "--" before it', () => {
    expect(parseSshCommand('ssh build1 -p 22 -A')).toEqual({ program: 'ssh', options: ['-p', '22', '-A'], destination: 'build1' });
    expect(parseSshCommand('ssh -l me -- build1')).toEqual({ program: 'ssh', options: ['-l', 'me'], destination: 'build1' });
  });
  it('tells flags from options with values the way ssh does (a value may look like a destination)', () => {
    // -b, -c, -e, -E, -F, -I, -l, -m, -P, -R, -S, -w take values; -a, -g, -k, -K, -q, -x, -X, -y do not.
    expect(parseSshCommand('ssh -e none -F cfg -l me -agkq host').options).toEqual(['-e', 'none', '-F', 'cfg', '-l', 'me', '-a', '-g', '-k', '-q']);
  });
  it('refuses what would break fleet, with the reason', () => {
    expect(() => parseSshCommand('ssh -N host')).toThrow(/-N runs no remote command/);
    expect(() => parseSshCommand('ssh -fp 22 host')).toThrow(/-f goes to the background/);
    expect(() => parseSshCommand('ssh -n host')).toThrow(/-n closes stdin/);
    expect(() => parseSshCommand('ssh host uptime')).toThrow(/remote command \("uptime"\)/);
    expect(() => parseSshCommand('ssh -p')).toThrow(/-p needs a value/);
    expect(() => parseSshCommand('ssh -p 22')).toThrow(/no destination/);
    expect(() => parseSshCommand('ssh -Z host')).toThrow(/no option -Z/);
    expect(() => parseSshCommand('ssh "unclosed')).toThrow(/cannot be split/);
    expect(() => parseSshCommand('')).toThrow(/empty/);
  });
});

const policy = { controlDir: '/h/.ai_fleet/ssh', persistSeconds: 60, connectTimeout: 5, aliveInterval: 2, aliveCount: 3 };

describe('sshArgv', () => {
  it("puts the user's options first (ssh keeps the first value, so theirs win), then fleet's, -T, --, the destination, the command", () => {
    const t = parseSshCommand('ssh -p 2222 -o ConnectTimeout=30 user@build1');
    const [cmd, args] = sshArgv(t, policy, "tmux 'list-panes' -a");
    expect(cmd).toBe('ssh');
    expect(args.slice(0, 4)).toEqual(['-p', '2222', '-o', 'ConnectTimeout=30']);
    expect(args).toContain('ControlMaster=auto');
    expect(args).toContain('ControlPath=/h/.ai_fleet/ssh/%C');
    expect(args).toContain('ControlPersist=60');
    expect(args).toContain('BatchMode=yes');
    expect(args).toContain('ServerAliveInterval=2');
    expect(args.slice(-4)).toEqual(['-T', '--', 'user@build1', "tmux 'list-panes' -a"]);
  });
  it('asks for a terminal and allows a password prompt only when told (attach)', () => {
    const [, args] = sshArgv(parseSshCommand('build1'), policy, 'tmux attach', { tty: true, batch: false });
    expect(args).toContain('-t');
    expect(args).not.toContain('-T');
    expect(args).not.toContain('BatchMode=yes');
  });
  it('escapes "%" in the control directory (ssh expands %-tokens in ControlPath)', () => {
    expect(connectionOptions({ ...policy, controlDir: '/h/100%/ssh' })).toContain('ControlPath=/h/100%%/ssh/%C');
  });
});

describe('git over the same ssh', () => {
  it('GIT_SSH_COMMAND carries the program, the options (quoted for sh) and connection sharing, no destination', () => {
    const c = gitSshCommand(parseSshCommand('ssh -i "/keys/my key" -p 2222 me@build1'), policy);
    expect(c.startsWith("ssh -i '/keys/my key' -p 2222 -o ControlMaster=auto")).toBe(true);
    expect(c).toContain('ControlPath=/h/.ai_fleet/ssh/%C');
    expect(c).not.toContain('me@build1');
  });
  it('URLs: scp-like for user@host and aliases, ssh:// kept, IPv6 bracketed', () => {
    expect(gitUrl(parseSshCommand('me@build1'), '/home/me/r')).toBe('me@build1:/home/me/r');
    expect(gitUrl(parseSshCommand('ssh ssh://me@build1:2222'), '/r')).toBe('ssh://me@build1:2222/r');
    expect(gitUrl(parseSshCommand('me@::1'), '/r')).toBe('me@[::1]:/r');
    expect(() => gitUrl(parseSshCommand('me@b'), '~/r')).toThrow(/absolute/);
  });
});

describe('[hosts.NAME] in config', () => {
  it('accepts ssh, repo_path and max_agents', () => {
    const v = validateConfig({ hosts: { build1: { ssh: 'ssh -p 2222 me@build1', repo_path: '~/src/app/', max_agents: 8 } } }, 'c.toml');
    expect(v.values.hosts).toEqual({ build1: { ssh: 'ssh -p 2222 me@build1', repo_path: '~/src/app', max_agents: 8 } });
    expect(v.warnings).toEqual([]);
  });
  it('names file, key and expectation for each kind of mistake', () => {
    const check = (hosts: unknown) => () => validateConfig({ hosts }, 'c.toml');
    expect(check({ b: { ssh: 22 } })).toThrow(/^hosts\.b\.ssh in c\.toml must be a string such as "ssh -p 2222 user@build1", not the number 22$/);
    expect(check({ b: {} })).toThrow(/^hosts\.b in c\.toml has no ssh command$/);
    expect(check({ b: { ssh: 'ssh -N b' } })).toThrow(/^hosts\.b\.ssh in c\.toml is not a usable ssh command line: option -N runs no remote command \(got "ssh -N b"\)$/);
    expect(check({ b: { ssh: 'b', repo_path: 'relative/dir' } })).toThrow(/hosts\.b\.repo_path in c\.toml must be an absolute path or one starting with "~\/"/);
    expect(check({ b: { ssh: 'b', max_agents: 0 } })).toThrow(/hosts\.b\.max_agents in c\.toml must be a whole number from 1 to 1000, not the number 0/);
    expect(check({ 'b.x': { ssh: 'b' } })).toThrow(/hosts\.b\.x in c\.toml must be named with letters/);
    expect(check({ local: { ssh: 'b' } })).toThrow(/"local" is reserved/);
    expect(check('b')).toThrow(/hosts in c\.toml must be a table of \[hosts\.NAME\]/);
  });
  it('warns about unknown keys inside a host', () => {
    expect(validateConfig({ hosts: { b: { ssh: 'b', port: 22 } } }, 'c.toml').warnings).toEqual(['unknown key "hosts.b.port" in c.toml (ignored)']);
  });
  it('resolves a host with the default repo path, and names the configured ones for an unknown host', () => {
    expect(resolveHost({ b: { ssh: 'me@b' } }, 'b', 'app')).toEqual({
      name: 'b', target: { program: 'ssh', options: [], destination: 'me@b' }, repoPath: '~/.ai_fleet/repos/app', maxAgents: null,
    });
    const err = (() => { try { resolveHost({ b: { ssh: 'me@b' }, a: { ssh: 'a' } }, 'c', 'app'); } catch (e) { return e as { message: string; hint: string }; } })();
    expect(err?.message).toBe('unknown host "c"');
    expect(err?.hint).toBe('configured hosts: a, b');
  });
});
