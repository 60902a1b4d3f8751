import { it } from 'vitest';
import { fleet, makeSandbox, writeConfig } from '../helpers/sandbox.js';
import { startSshd } from '../helpers/sshd.js';
it('dbg', async () => {
  const [sshd, sb] = await Promise.all([startSshd(), makeSandbox()]);
  try {
    const repo = await sb.repo('app');
    writeConfig(sb, `default_agent = "rec"\n[agents.rec]\ncommand = ["bash","-c","echo hi; exec cat","rec","{prompt}"]\n[hosts.loop]\nssh = ${JSON.stringify(sshd.sshCommand())}\n`);
    console.log(await fleet(sb, ['create', 'x', '--host', 'loop', '-p', 'hello'], { cwd: repo }));
    console.log(await sshd.exec('tmux list-panes -a -F "#{session_name} #{pane_dead} #{pane_pid} #{@fleet_host}"; ps -ef | grep -v sshd'));
    console.log(await fleet(sb, ['list', '--verbose'], { cwd: repo }));
    console.log(await sshd.exec('tmux list-panes -a -F "#{session_name} #{pane_dead} #{pane_pid}"'));
  } finally { await sshd.stop(); await sb.cleanup(); }
}, 60000);
