/**
 * The one program an agent's hooks run: plain POSIX sh + tmux (no node, no fleet), so the same
 * file works on a host where fleet is not installed. It writes the agent's state into the
 * options of its own tmux session (found through $TMUX_PANE, which every agent inherits), where
 * `fleet list` reads them with the one list-panes call it makes anyway.
 *
 * The payload on stdin is the agent's JSON, and its text is hostile (a tool call's command is
 * whatever the model wrote). The script never evaluates it: control characters are dropped
 * (no newline or \x1f can reach list's parser), awk cuts a bounded reason out of it, and the
 * result is only ever handed to tmux as the LAST argument of its command line (tmux reads a
 * trailing ";" of an argument as a command separator; as the last argument that cannot start
 * another command). tmux does not expand #{…} in option values read back through -F, and
 * display-message, which does, gets "#" doubled.
 *
 * On a change into waiting/done/exited it also tells every attached tmux client, and runs the
 * user's notify_command (a file named by the session's @fleet_notify option) in the background.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { shQuote } from '../remote/shell-quote.js';

/** The states the hooks write (the status shown is derived from them, see core/agent-state). */
export type HookState = 'working' | 'waiting' | 'done';

const AWK = String.raw`
function field(s, k,   i, j, n, c, out) {
  i = index(s, "\"" k "\":")
  if (i == 0) return ""
  s = substr(s, i + length(k) + 3)
  sub(/^ +/, "", s)
  if (substr(s, 1, 1) != "\"") return ""
  n = length(s)
  out = ""
  for (j = 2; j <= n && length(out) < 400; j++) {
    c = substr(s, j, 1)
    if (c == "\"") break
    if (c == "\\") {
      j++
      c = substr(s, j, 1)
      if (c == "u") { c = "?"; j += 4 }
      else if (c ~ /[nrtbf]/) c = " "
    }
    out = out c
  }
  return out
}
function cut(s, n) {
  if (length(s) <= n) return s
  while (n > 0 && substr(s, n + 1, 1) ~ /[\200-\277]/) n--
  return substr(s, 1, n) "..."
}
{ p = p $0 }
END {
  p = substr(p, 1, 65536)
  if (e == "SessionStart" || e == "UserPromptSubmit" || e == "BeforeAgent") {
    c = field(p, "session_id")
    if (c !~ /^[A-Za-z0-9_-]+$/ || length(c) > 128) c = ""
    t = field(p, "transcript_path")
    if (t !~ /^\// || length(t) > 1024) t = ""
    print ""; print c; print t
    exit
  }
  r = ""
  tool = field(p, "tool_name")
  i = index(p, "\"tool_input\":")
  q = i ? substr(p, i) : p
  if (tool == "AskUserQuestion") r = "question: " cut(field(q, "question"), 160)
  else if (tool != "") {
    d = field(q, "command")
    if (d == "") d = field(q, "file_path")
    if (d == "") d = field(q, "path")
    if (d == "") d = field(q, "url")
    if (d == "") d = field(q, "pattern")
    if (d == "") d = field(q, "query")
    r = "permission: " cut(tool, 60) (d == "" ? "" : "(" cut(d, 120) ")")
  } else if (field(p, "notification_type") == "ToolPermission") {
    d = field(p, "command")
    if (d != "") r = "permission: Shell(" cut(d, 120) ")"
    else {
      d = field(p, "filePath")
      if (d != "") r = "permission: Edit(" cut(d, 120) ")"
      else r = "permission: " cut(field(p, "title"), 120)
    }
  } else if (e == "Notification") r = "question: " cut(field(p, "message"), 160)
  else if (e == "StopFailure") {
    d = field(p, "last_assistant_message")
    r = d != "" ? cut(d, 160) : "api error: " cut(field(p, "error"), 60)
  }
  sub(/[;\\]+$/, "", r)
  print r; print ""; print ""
}`;

/** The script. Usage: `sh FILE STATE EVENT` (payload on stdin), or from tmux's pane-died hook `sh FILE exited pane-died PANE STATUS SIGNAL`. */
export const HOOK_SCRIPT = String.raw`# fleet hook: an agent's state into its own tmux session's options (POSIX sh + tmux only).
#   sh fleet-hook.sh STATE EVENT                            an agent's hook; its JSON payload on stdin
#   sh fleet-hook.sh exited pane-died PANE STATUS SIGNAL    tmux's pane-died hook
# The payload is untrusted text: control characters are dropped, awk cuts a bounded reason out
# of it, and it only ever reaches tmux as the last argument (never evaluated, never expanded).
A='${AWK}'
s=$1 e=$2 o=$TMUX_PANE r= c= t= w=
case $e in
pane-died)
  o=$3
  if [ -n "$5" ] && [ "$5" != 0 ]; then r="killed by signal $5"; else r="exit code $4"; fi ;;
SessionStart|UserPromptSubmit|BeforeAgent|PermissionRequest|Notification|StopFailure)
  x=$(LC_ALL=C tr -d '\000-\037\177' | LC_ALL=C awk -v e="$e" "$A" 2>/dev/null)
  { IFS= read -r r; IFS= read -r c; IFS= read -r t; } <<EOF
$x
EOF
  ;;
*) cat >/dev/null ;;
esac
case $o in %[0-9]*) ;; *) exit 0 ;; esac
n=$(date +%s)
case $e in
PostToolUse|AfterTool)
  # A tool's end only ends a dialog (waiting -> working). claude runs this hook async, so it can
  # land after the turn's Stop: tested and set in one tmux command, it never undoes a done.
  tmux if -F -t "$o" "#{==:#{@fleet_state},waiting}" \
    "set -t $o @fleet_state_at $n ; set -t $o @fleet_state $s ; set -t $o @fleet_event $e ; set -u -t $o @fleet_reason" >/dev/null 2>&1
  exit 0 ;;
esac
set -- if -F -t "$o" "#{!=:#{@fleet_state},$s}" "set -t $o @fleet_state_at $n" \; \
  set -t "$o" @fleet_state "$s" \; set -t "$o" @fleet_event "$e"
[ -n "$c" ] && set -- "$@" \; set -t "$o" @fleet_conversation "$c"
if [ -n "$r" ]; then
  set -- "$@" \; set -t "$o" @fleet_reason "$r"
else
  set -- "$@" \; set -u -t "$o" @fleet_reason
  [ -n "$t" ] && set -- "$@" \; set -t "$o" @fleet_transcript "$t"
fi
case $s:$e in
*:SessionStart) ;;
waiting:*|done:*|exited:*) w=1 ;;
esac
if [ -z "$w" ]; then
  tmux "$@" >/dev/null 2>&1
  exit 0
fi
[ "$(tmux display -p -t "$o" '#{@fleet_state}' \; "$@" 2>/dev/null)" = "$s" ] && exit 0
(
  x=$(tmux display -p -t "$o" '#{session_name}' \; display -p -t "$o" '#{@fleet_branch}' \; \
    display -p -t "$o" '#{@fleet_notify}' \; display -p -t "$o" '#{@fleet_repo}')
  { IFS= read -r sn; IFS= read -r b; IFS= read -r f; IFS= read -r rp; } <<EOF
$x
EOF
  [ -n "$b" ] || b=$sn
  m="fleet: $b ($(basename "$rp")) $s"
  [ -n "$r" ] && m="$m: $r"
  m=$(printf '%s\n' "$m" | sed 's/#/##/g')
  for cl in $(tmux list-clients -F '#{client_name}'); do
    tmux display-message -d 8000 -c "$cl" "$m" || tmux display-message -c "$cl" "$m"
  done
  if [ -n "$f" ] && [ -r "$f" ]; then
    FLEET_BRANCH=$b FLEET_STATUS=$s FLEET_REASON=$r FLEET_REPO=$rp FLEET_SESSION=$sn sh "$f"
  fi
) </dev/null >/dev/null 2>&1 &
exit 0
`;

/** Where fleet keeps the files agents' hooks run (a directory of the fleet home, 0700). */
export function hooksDir(home: string): string {
  return path.join(home, 'hooks');
}

/** Write `text` to `dir/<prefix>-<hash of text><ext>` unless it is already there; its path. Content-addressed: a running agent's file never changes under it. */
export function ensureContentFile(dir: string, prefix: string, ext: string, text: string): string {
  const file = path.join(dir, contentName(prefix, ext, text));
  let current: string | null = null;
  try {
    current = fs.readFileSync(file, 'utf8');
  } catch {
    // not there yet
  }
  if (current !== text) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const tmp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
    fs.writeFileSync(tmp, text, { mode: 0o600, flag: 'wx' });
    fs.renameSync(tmp, file);
  }
  return file;
}

/** `<prefix>-<hash of text><ext>`: the name ensureContentFile gives `text`. */
function contentName(prefix: string, ext: string, text: string): string {
  return `${prefix}-${crypto.createHash('sha256').update(text).digest('hex').slice(0, 12)}${ext}`;
}

/** The hook script's file name (the same here and in a host's fleet home). */
export function hookScriptName(): string {
  return contentName('fleet-hook', '.sh', HOOK_SCRIPT);
}

/** Where the hook script is in a host's fleet home (`home`: the remote user's); remote/host-agent.ts writes it there. */
export function hostHookScriptPath(home: string): string {
  return `${home}/.ai_fleet/hooks/${hookScriptName()}`;
}

/** The hook script in the fleet home (written once per version); its path. */
export function ensureHookScript(home: string): string {
  return ensureContentFile(hooksDir(home), 'fleet-hook', '.sh', HOOK_SCRIPT);
}

/** The user's notify_command as a file the hook script runs with sh (a file, so the command never shows on a command line); its path. */
export function ensureNotifyFile(home: string, command: string): string {
  return ensureContentFile(hooksDir(home), 'notify', '.sh', `# fleet notify_command (from your config)\n${command}\n`);
}

/** The shell command an agent's hook config runs for one event. */
export function hookCommand(script: string, state: HookState, event: string): string {
  return `sh ${shQuote(script)} ${state} ${event}`;
}

/**
 * The tmux command for the session's pane-died hook: the same script records "exited" with the
 * exit status (or signal) and notifies. tmux parses this string when the hook fires, and
 * run-shell expands formats in its argument: the path is quoted for sh, then for tmux's double
 * quotes, with "#" doubled.
 */
export function paneDiedCommand(script: string): string {
  const sh = `sh ${shQuote(script)} exited pane-died #{pane_id} #{pane_dead_status} #{pane_dead_signal}`;
  const forTmux = sh.replace(/#(?!\{pane_)/g, '##').replace(/[\\"$]/g, (c) => `\\${c}`);
  return `run-shell -b "${forTmux}"`;
}
