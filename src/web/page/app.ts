/**
 * The dashboard page. One server-sent event stream brings the agent list whenever it changes;
 * the page never polls. Selecting an agent opens its live terminal (terminal.ts), a prompt box,
 * its diff, and the kill and pick actions; "New agent" starts one or a batch.
 */
import '@xterm/xterm/css/xterm.css';
import './style.css';
import { h, api, errorBox, ApiFailure } from './dom.js';
import { terminalView, type TerminalView } from './terminal.js';
import {
  ageText, attentionOf, figures, groupRows, isOverBudget, noticesBetween, parseDiff, reasonText, seenOf, statusText, tokensText, costText,
  type Row, type Seen,
} from '../model.js';
import type { Hello, ProgressEvent } from '../protocol.js';

// The token has done its job (the cookie is set): take it out of the address bar and history.
if (new URLSearchParams(location.search).has('token')) history.replaceState(null, '', '/' + location.hash);

interface State {
  hello: Hello | null;
  rows: Row[];
  prev: Map<string, Seen> | null;
  selected: string | null;
  connected: boolean;
  problem: string | null;
}

const state: State = { hello: null, rows: [], prev: null, selected: selectedFromHash(), connected: false, problem: null };

function selectedFromHash(): string | null {
  const m = /^#agent=([A-Za-z0-9_-]+)$/.exec(location.hash);
  return m ? m[1]! : null;
}

// ---- layout ---------------------------------------------------------------------------------

const scopeEl = h('span', { class: 'scope' });
const countsEl = h('span', { class: 'counts' });
const connEl = h('span', { class: 'conn', title: 'live updates' });
const notifyBtn = h('button', { type: 'button', class: 'ghost', onclick: () => void askNotifications() }, 'Notify me');
const newBtn = h('button', { type: 'button', class: 'primary', onclick: () => void createDialog() }, 'New agent');
const header = h('header', { class: 'top' }, h('h1', {}, 'fleet'), scopeEl, countsEl, h('span', { class: 'spacer' }), connEl, notifyBtn, newBtn);
const problemEl = h('div', { class: 'problem', hidden: true });
const listEl = h('section', { class: 'agents', 'aria-label': 'agents' });
const detailEl = h('section', { class: 'detail', 'aria-label': 'agent' });
const toastsEl = h('div', { class: 'toasts', 'aria-live': 'polite' });
const main = h('main', { class: 'layout' }, listEl, detailEl);
document.getElementById('app')!.replaceChildren(header, problemEl, main, toastsEl);

// ---- the agent list -------------------------------------------------------------------------

function pill(r: Row): HTMLElement {
  return h('span', { class: `pill st-${r.status.replace(/[^a-z-]/g, '')} att-${attentionOf(r)}`, 'data-status': r.status }, statusText(r));
}

/** Cost as list's COST column ("$4.12/$4.00" with a budget), marked when over the budget. */
function costEl(r: Row): HTMLElement | null {
  const cost = costText(r);
  if (cost === null) return null;
  const over = isOverBudget(r);
  return h('span', { class: `cost${over ? ' over' : ''}`, title: over ? 'over its budget' : r.budget_usd != null ? 'cost / budget' : 'cost' }, cost);
}

function card(r: Row, now: number): HTMLElement {
  const reason = reasonText(r);
  const figs = figures(r);
  const cost = costEl(r);
  const repoName = state.hello?.all ? r.repo.split('/').pop() : null;
  return h(
    'button',
    {
      type: 'button',
      class: `card att-${attentionOf(r)}${state.selected === r.session ? ' selected' : ''}`,
      'data-session': r.session,
      'data-branch': r.branch,
      'data-status': r.status,
      onclick: () => select(r.session),
    },
    h('div', { class: 'card-top' }, h('span', { class: 'branch' }, r.branch), pill(r)),
    reason ? h('div', { class: 'reason' }, reason) : null,
    h('div', { class: 'meta' }, [r.agent, r.host ? `on ${r.host}` : null, repoName, ageText(r, now)].filter(Boolean).join(' · ')),
    figs.length > 0 || cost ? h('div', { class: 'figures' }, figs.join(' · '), figs.length > 0 && cost ? ' · ' : '', cost) : null,
  );
}

function renderList(): void {
  const now = Date.now();
  if (state.rows.length === 0) {
    listEl.replaceChildren(
      h('div', { class: 'empty' }, h('p', {}, state.connected ? 'No agents yet.' : 'Connecting…'), state.connected ? h('p', {}, 'Start one with “New agent”, or fleet create <branch> --prompt "…"') : null),
    );
    return;
  }
  const groups = groupRows(state.rows);
  listEl.replaceChildren(
    ...groups.map((g) =>
      h(
        'div',
        { class: `group att-${g.attention}`, 'data-batch': g.batch ?? '' },
        g.batch !== null
          ? h('div', { class: 'group-head' }, h('span', { class: 'batch' }, `batch ${g.batch}`), h('span', { class: 'group-count' }, `${g.rows.length} agent${g.rows.length === 1 ? '' : 's'}${g.needy > 0 ? ` · ${g.needy} need${g.needy === 1 ? 's' : ''} you` : ''}`))
          : null,
        ...g.rows.map((r) => card(r, now)),
      ),
    ),
  );
}

function renderHeader(): void {
  const hello = state.hello;
  scopeEl.textContent = hello ? (hello.all ? 'every repository' : hello.repo?.name ?? '') : '';
  const needy = state.rows.filter((r) => attentionOf(r) !== 'busy').length;
  const waiting = state.rows.filter((r) => attentionOf(r) === 'urgent').length;
  countsEl.textContent = state.rows.length === 0 ? '' : `${state.rows.length} agent${state.rows.length === 1 ? '' : 's'}${needy > 0 ? ` · ${needy} need${needy === 1 ? 's' : ''} you` : ''}`;
  connEl.textContent = state.connected ? 'live' : 'reconnecting…';
  connEl.className = `conn ${state.connected ? 'on' : 'off'}`;
  document.title = `${waiting > 0 ? `(${waiting}) ` : ''}fleet${hello?.repo && !hello.all ? ` · ${hello.repo.name}` : ''}`;
  problemEl.hidden = state.problem === null;
  problemEl.textContent = state.problem ?? '';
  if (typeof Notification === 'undefined' || Notification.permission !== 'default') notifyBtn.hidden = true;
}

// ---- the selected agent ---------------------------------------------------------------------

interface Detail {
  session: string;
  head: HTMLElement;
  term: TerminalView | null;
  termBox: HTMLElement;
  diffBox: HTMLElement;
  tab: 'terminal' | 'diff';
  promptError: HTMLElement;
  gone: boolean;
}

let detail: Detail | null = null;

function select(session: string | null): void {
  if (state.selected === session && detail?.session === session) return;
  state.selected = session;
  history.replaceState(null, '', session ? `#agent=${session}` : '/');
  openDetail();
  renderList();
}

function closeDetail(): void {
  detail?.term?.dispose();
  detail = null;
  detailEl.replaceChildren();
  document.body.classList.remove('has-detail');
}

function openDetail(): void {
  closeDetail();
  const session = state.selected;
  const row = state.rows.find((r) => r.session === session);
  if (!session || !row) {
    detailEl.replaceChildren(h('div', { class: 'empty' }, h('p', {}, 'Select an agent to see its screen, send it a follow-up, read its diff, or land it.')));
    return;
  }
  document.body.classList.add('has-detail');
  const termBox = h('div', { class: 'term-box' });
  const diffBox = h('div', { class: 'diff-box', hidden: true });
  const promptError = h('div', { class: 'prompt-error' });
  const d: Detail = { session, head: h('div', { class: 'detail-head' }), term: null, termBox, diffBox, tab: 'terminal', promptError, gone: false };
  detail = d;
  d.term = terminalView(session, (message, hint) => {
    termBox.append(errorBox(new ApiFailure(message, hint, 404)));
  });
  termBox.append(d.term.element);

  const tabBtn = (tab: Detail['tab'], label: string) =>
    h('button', { type: 'button', role: 'tab', class: 'tab', 'data-tab': tab, 'aria-selected': tab === 'terminal' ? 'true' : 'false', onclick: () => showTab(tab) }, label);
  const tabs = h('nav', { class: 'tabs', role: 'tablist' }, tabBtn('terminal', 'Terminal'), tabBtn('diff', 'Diff'));

  const textarea = h('textarea', { name: 'prompt', rows: 3, placeholder: `Follow-up for ${row.branch} (Ctrl+Enter sends)`, 'aria-label': 'follow-up prompt' });
  const sendBtn = h('button', { type: 'submit', class: 'primary' }, 'Send');
  const form = h('form', { class: 'prompt' }, textarea, sendBtn, promptError);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void sendPrompt(session, textarea, sendBtn, promptError);
  });
  textarea.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) {
      ev.preventDefault();
      form.requestSubmit();
    }
  });

  detailEl.replaceChildren(d.head, tabs, termBox, form, diffBox);
  updateDetailHead();
}

function showTab(tab: Detail['tab']): void {
  if (!detail) return;
  detail.tab = tab;
  for (const b of detailEl.querySelectorAll<HTMLButtonElement>('.tab')) b.setAttribute('aria-selected', b.dataset.tab === tab ? 'true' : 'false');
  detail.termBox.hidden = tab !== 'terminal';
  (detailEl.querySelector('form.prompt') as HTMLElement).hidden = tab !== 'terminal';
  detail.diffBox.hidden = tab !== 'diff';
  if (tab === 'diff') void loadDiff(detail);
}

function updateDetailHead(): void {
  if (!detail) return;
  const row = state.rows.find((r) => r.session === detail!.session);
  if (!row) {
    detail.gone = true;
    detail.head.replaceChildren(h('button', { type: 'button', class: 'back ghost', onclick: () => select(null) }, '← agents'), h('p', { class: 'gone' }, 'This agent is gone (killed or landed).'));
    detail.term?.dispose();
    detail.term = null;
    return;
  }
  const reason = reasonText(row);
  const cost = costEl(row);
  const tokens = tokensText(row.usage);
  const meta = [row.agent, row.host ? `on host ${row.host}` : null, row.batch_id ? `batch ${row.batch_id}` : null, `started ${ageText(row, Date.now())} ago`, ...figures(row), tokens, row.usage?.model ?? null].filter(Boolean);
  detail.head.replaceChildren(
    h('button', { type: 'button', class: 'back ghost', onclick: () => select(null) }, '← agents'),
    h('div', { class: 'detail-title' }, h('h2', {}, row.branch), pill(row)),
    reason ? h('div', { class: 'reason' }, reason) : '',
    h('div', { class: 'meta' }, meta.join(' · '), cost ? ' · ' : '', cost),
    h('div', { class: 'meta path', title: row.worktree }, row.worktree),
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'button', class: 'danger', 'data-action': 'kill', onclick: () => killDialog(row) }, 'Kill…'),
      h('button', { type: 'button', 'data-action': 'pick', onclick: () => pickDialog(row) }, 'Pick…'),
    ),
  );
}

/**
 * Send the follow-up as `fleet prompt` does. While the agent is starting or has a dialog open,
 * the server refuses in fleet prompt's words; the page then offers to send it anyway, only
 * after a confirmation that says the text may answer that dialog (fleet prompt --force).
 */
async function sendPrompt(session: string, textarea: HTMLTextAreaElement, btn: HTMLButtonElement, errorEl: HTMLElement, force = false): Promise<void> {
  const text = textarea.value;
  btn.disabled = true;
  errorEl.replaceChildren();
  try {
    await api('POST', `/api/agents/${session}/prompt`, force ? { text, force: true } : { text });
    textarea.value = '';
    toast(`sent ${text.length} character${text.length === 1 ? '' : 's'}`);
  } catch (e) {
    errorEl.replaceChildren(errorBox(e));
    if (e instanceof ApiFailure && e.refused && !force) {
      const anyway = h('button', { type: 'button', class: 'danger', 'data-action': 'send-anyway' }, 'Send anyway…');
      anyway.addEventListener('click', () => confirmForce(session, e.refused!, textarea, btn, errorEl));
      errorEl.append(h('div', { class: 'buttons' }, anyway));
    }
  } finally {
    btn.disabled = false;
  }
}

function confirmForce(session: string, refused: NonNullable<ApiFailure['refused']>, textarea: HTMLTextAreaElement, btn: HTMLButtonElement, errorEl: HTMLElement): void {
  const row = state.rows.find((r) => r.session === session);
  const branch = row?.branch ?? session;
  modal(`Send to ${branch} anyway?`, (close) => {
    const go = h('button', { type: 'button', class: 'danger', 'data-confirm': 'send-anyway' }, 'Send anyway');
    go.addEventListener('click', () => {
      close();
      void sendPrompt(session, textarea, btn, errorEl, true);
    });
    const what =
      refused.status === 'waiting'
        ? `“${branch}” has a dialog open (${refused.reason ?? 'it needs your answer'}). What you send is typed into that dialog and may answer it — approve or decline what it asks — instead of reaching the agent as a prompt.`
        : `“${branch}” has not taken its first prompt yet: a trust or sign-in dialog may be open. What you send may answer that dialog instead of reaching the agent as a prompt.`;
    return [
      h('p', { class: 'confirm-text' }, what),
      h('p', { class: 'muted' }, `This is fleet prompt ${branch} --force. To see the dialog first: fleet attach ${branch}.`),
      h('div', { class: 'buttons' }, h('button', { type: 'button', class: 'ghost', onclick: close }, 'Cancel'), go),
    ];
  });
}

async function loadDiff(d: Detail): Promise<void> {
  d.diffBox.replaceChildren(h('p', { class: 'muted' }, 'reading the diff…'));
  try {
    const r = await api<{ text: string; base: string; source: string; truncated: boolean }>('GET', `/api/agents/${d.session}/diff`);
    if (detail !== d) return;
    const files = parseDiff(r.text);
    const added = files.reduce((n, f) => n + f.added, 0);
    const removed = files.reduce((n, f) => n + f.removed, 0);
    d.diffBox.replaceChildren(
      h('div', { class: 'diff-summary' }, files.length === 0 ? `no changes since its base ${r.base.slice(0, 7)}` : `${files.length} file${files.length === 1 ? '' : 's'} changed, +${added} −${removed} since ${r.base.slice(0, 7)}`, h('button', { type: 'button', class: 'ghost', onclick: () => void loadDiff(d) }, 'Refresh')),
      r.source === 'branch' ? h('p', { class: 'note' }, 'Its worktree is gone: committed work only.') : '',
      r.truncated ? h('p', { class: 'note' }, 'The diff is long: only its first 4 MiB are shown (fleet diff shows it all).') : '',
      ...files.map((f) =>
        h(
          'details',
          { class: 'diff-file', open: files.length <= 20 },
          h('summary', {}, h('span', { class: 'path' }, f.path), h('span', { class: 'stat' }, h('span', { class: 'add' }, `+${f.added}`), ' ', h('span', { class: 'del' }, `−${f.removed}`))),
          h('pre', { class: 'diff' }, ...f.lines.map((l) => h('span', { class: `dl ${l.kind}` }, l.text + '\n'))),
        ),
      ),
    );
  } catch (e) {
    if (detail === d) d.diffBox.replaceChildren(errorBox(e));
  }
}

// ---- dialogs --------------------------------------------------------------------------------

/** A modal dialog; resolves when closed. `build` gets a close function. */
function modal(title: string, build: (close: () => void) => (Node | null)[]): void {
  const dialog = h('dialog', { class: 'modal' });
  const close = () => {
    dialog.close();
    dialog.remove();
  };
  dialog.append(h('h3', {}, title), ...build(close).filter((n): n is Node => n !== null));
  dialog.addEventListener('cancel', () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
}

/** A button whose click starts an async action (each shows its own errors, so none is left unhandled). */
function onClick(btn: HTMLElement, action: () => Promise<void>): void {
  btn.addEventListener('click', () => void action());
}

function busy(btn: HTMLButtonElement, on: boolean, label?: string): void {
  btn.disabled = on;
  if (label) btn.textContent = label;
}

function killDialog(row: Row): void {
  modal(`Kill ${row.branch}?`, (close) => {
    const force = h('input', { type: 'checkbox', name: 'force' });
    const del = h('input', { type: 'checkbox', name: 'deleteBranch' });
    const out = h('div', { class: 'dialog-out' });
    const go = h('button', { type: 'button', class: 'danger', 'data-confirm': 'kill' }, 'Kill');
    onClick(go, async () => {
      busy(go, true, 'Killing…');
      out.replaceChildren();
      try {
        const r = await api<{ notes: string[]; unmergedCommits: number }>('POST', `/api/agents/${row.session}/kill`, { force: force.checked, deleteBranch: del.checked });
        close();
        toast(`killed ${row.branch}${r.unmergedCommits > 0 ? `: its branch keeps ${r.unmergedCommits} commit${r.unmergedCommits === 1 ? '' : 's'} not in its base` : ''}`);
      } catch (e) {
        out.replaceChildren(errorBox(e));
        busy(go, false, 'Kill');
      }
    });
    return [
      h('p', {}, `Ends its tmux session and removes its worktree ${row.worktree}. The branch “${row.branch}” is kept unless you ask.`),
      h('label', {}, force, ' discard uncommitted work (--force)'),
      h('label', {}, del, ' also delete the branch (--delete-branch; refused when unmerged, unless --force)'),
      out,
      h('div', { class: 'buttons' }, h('button', { type: 'button', class: 'ghost', onclick: close }, 'Cancel'), go),
    ];
  });
}

interface PickPlan {
  winner: string;
  into: string;
  strategy: string;
  winnerDirty: number;
  ending: string[];
  keeping: { branch: string; files: number; unsaved: string }[];
}

function pickDialog(row: Row): void {
  modal(`Pick ${row.branch}`, (close) => {
    const strategy = h('select', { name: 'strategy' }, ...['merge', 'squash', 'rebase'].map((s) => h('option', { value: s }, s)));
    const into = h('input', { type: 'text', name: 'into', placeholder: "the main checkout's branch" });
    const message = h('input', { type: 'text', name: 'message', placeholder: 'commit message (merge or squash; optional)' });
    strategy.addEventListener('change', () => (message.disabled = strategy.value === 'rebase'));
    const out = h('div', { class: 'dialog-out' });
    const review = h('button', { type: 'button', class: 'primary' }, 'Review');
    const land = h('button', { type: 'button', class: 'primary', hidden: true, 'data-confirm': 'pick' }, 'Land it');
    const body = () => ({ strategy: strategy.value, into: into.value.trim() || undefined, message: message.disabled ? undefined : message.value.trim() || undefined });
    const fields = [strategy, into, message];
    onClick(review, async () => {
      busy(review, true);
      out.replaceChildren();
      try {
        const plan = await api<PickPlan>('POST', `/api/agents/${row.session}/pick-plan`, body());
        out.replaceChildren(
          h(
            'ul',
            { class: 'plan' },
            h('li', {}, `land “${plan.winner}” into “${plan.into}” (${plan.strategy})`),
            plan.winnerDirty > 0 ? h('li', {}, `after committing its uncommitted work (${plan.winnerDirty} file${plan.winnerDirty === 1 ? '' : 's'})`) : null,
            h('li', {}, `then end ${plan.ending.join(', ')} (sessions and worktrees; branches are kept)`),
            ...plan.keeping.map((k) => h('li', {}, `keeping ${k.branch}: it has ${k.unsaved}`)),
          ),
        );
        fields.forEach((f) => (f.disabled = true));
        review.hidden = true;
        land.hidden = false;
      } catch (e) {
        out.replaceChildren(errorBox(e));
      } finally {
        busy(review, false);
      }
    });
    onClick(land, async () => {
      busy(land, true, 'Landing…');
      try {
        const r = await api<{ landed: string; ended: string[]; notes: string[] }>('POST', `/api/agents/${row.session}/pick`, body());
        close();
        toast(`landed ${row.branch} (${r.landed.slice(0, 7)}); ended ${r.ended.join(', ') || 'none'}`);
        for (const n of r.notes) toast(n);
      } catch (e) {
        out.append(errorBox(e));
        busy(land, false, 'Land it');
      }
    });
    return [
      h('p', {}, 'Commits its uncommitted work, lands its branch into the target, then ends it and the rest of its batch (branches are kept). Nothing changes when it cannot land cleanly.'),
      h('label', { class: 'field' }, h('span', {}, 'strategy'), strategy),
      h('label', { class: 'field' }, h('span', {}, 'into'), into),
      h('label', { class: 'field' }, h('span', {}, 'message'), message),
      out,
      h('div', { class: 'buttons' }, h('button', { type: 'button', class: 'ghost', onclick: close }, 'Cancel'), review, land),
    ];
  });
}

interface RepoChoice {
  root: string;
  name: string;
  profiles: string[];
  defaultAgent: string;
}

const progressSinks = new Set<(p: ProgressEvent) => void>();

async function createDialog(): Promise<void> {
  let repos: RepoChoice[];
  try {
    repos = await api<RepoChoice[]>('GET', '/api/repos');
  } catch (e) {
    toast((e as Error).message);
    return;
  }
  if (repos.length === 0) {
    toast('no repository to start agents in: start the dashboard inside one');
    return;
  }
  modal('New agent', (close) => {
    const repo = h('select', { name: 'repo' }, ...repos.map((r) => h('option', { value: r.root }, `${r.name} (${r.root})`)));
    const mode = h('select', { name: 'mode' }, h('option', { value: 'one' }, 'one agent'), h('option', { value: 'fanout' }, 'a batch (fanout)'));
    const branch = h('input', { type: 'text', name: 'branch', placeholder: 'fix-auth', autocomplete: 'off' });
    const count = h('input', { type: 'number', name: 'count', min: 1, max: 100, value: 3 });
    const prefix = h('input', { type: 'text', name: 'prefix', placeholder: 'auth-refactor (default: generated)', autocomplete: 'off' });
    const prompt = h('textarea', { name: 'prompt', rows: 5, placeholder: 'What should the agent do?' });
    const agent = h('select', { name: 'agent' });
    const base = h('input', { type: 'text', name: 'base', placeholder: "the main checkout's HEAD", autocomplete: 'off' });
    const quick = h('input', { type: 'checkbox', name: 'quick' });
    const fillAgents = () => {
      const r = repos.find((x) => x.root === repo.value) ?? repos[0]!;
      agent.replaceChildren(...r.profiles.map((p) => h('option', { value: p, selected: p === r.defaultAgent }, p)));
    };
    fillAgents();
    repo.addEventListener('change', fillAgents);
    const oneFields = h('label', { class: 'field' }, h('span', {}, 'branch'), branch);
    const fanFields = h('div', { hidden: true }, h('label', { class: 'field' }, h('span', {}, 'how many'), count), h('label', { class: 'field' }, h('span', {}, 'prefix'), prefix));
    mode.addEventListener('change', () => {
      oneFields.hidden = mode.value !== 'one';
      fanFields.hidden = mode.value === 'one';
    });
    const out = h('div', { class: 'dialog-out' });
    const next = h('button', { type: 'button', class: 'primary' }, 'Next');
    const start = h('button', { type: 'button', class: 'primary', hidden: true, 'data-confirm': 'create' }, 'Start');
    const inputs = [repo, mode, branch, count, prefix, prompt, agent, base, quick];

    const request = () =>
      mode.value === 'one'
        ? { path: '/api/create', body: { repo: repo.value, branch: branch.value.trim(), prompt: prompt.value, agent: agent.value, base: base.value.trim() || undefined, quick: quick.checked } }
        : { path: '/api/fanout', body: { repo: repo.value, count: Number(count.value), prefix: prefix.value.trim() || undefined, prompt: prompt.value, agent: agent.value, base: base.value.trim() || undefined, quick: quick.checked } };

    next.addEventListener('click', () => {
      out.replaceChildren();
      const { body } = request();
      if (mode.value === 'one' && !branch.value.trim()) return void out.replaceChildren(errorBox(new Error('name the branch')));
      if (prompt.value.trim() === '') return void out.replaceChildren(errorBox(new Error('write a prompt')));
      const where = repos.length > 1 ? ` in ${repos.find((r) => r.root === repo.value)?.name}` : '';
      const from = base.value.trim() ? `from ${base.value.trim()}` : "from the main checkout's HEAD";
      const what =
        mode.value === 'one'
          ? `Start a ${agent.value} agent on branch “${(body as { branch: string }).branch}”${where}, ${from}${quick.checked ? ', skipping setup commands' : ''}?`
          : `Start ${count.value} ${agent.value} agents${prefix.value.trim() ? ` on ${prefix.value.trim()}-1 … ${prefix.value.trim()}-${count.value}` : ''}${where}, ${from}${quick.checked ? ', skipping setup commands' : ''}?`;
      out.replaceChildren(h('p', { class: 'confirm-text' }, what));
      inputs.forEach((i) => (i.disabled = true));
      next.hidden = true;
      start.hidden = false;
    });
    const back = h('button', { type: 'button', class: 'ghost' }, 'Cancel');
    back.addEventListener('click', () => {
      if (!start.hidden && !start.disabled) {
        // Back to the form.
        inputs.forEach((i) => (i.disabled = false));
        start.hidden = true;
        next.hidden = false;
        out.replaceChildren();
        return;
      }
      close();
    });
    onClick(start, async () => {
      const { path, body } = request();
      busy(start, true, 'Starting…');
      back.disabled = true;
      const lines = h('ul', { class: 'progress' });
      out.append(lines);
      const seen = new Map<string, HTMLElement>();
      const sink = (p: ProgressEvent) => {
        let li = seen.get(p.branch);
        if (!li) {
          li = h('li', {});
          seen.set(p.branch, li);
          lines.append(li);
        }
        li.textContent = `${p.branch}: ${p.state}${p.detail ? ` (${p.detail})` : ''}`;
      };
      progressSinks.add(sink);
      try {
        const r = await api<{ branch?: string; session?: string; batchId?: string; created?: string[]; notes: string[] }>('POST', path, body);
        close();
        toast(r.branch ? `started ${r.branch}` : `batch ${r.batchId}: started ${r.created?.join(', ')}`);
        for (const n of r.notes) toast(n);
        if (r.session) select(r.session);
      } catch (e) {
        out.append(errorBox(e));
        busy(start, false, 'Start');
        back.disabled = false;
      } finally {
        progressSinks.delete(sink);
      }
    });
    return [
      repos.length > 1 ? h('label', { class: 'field' }, h('span', {}, 'repository'), repo) : null,
      h('label', { class: 'field' }, h('span', {}, 'start'), mode),
      oneFields,
      fanFields,
      h('label', { class: 'field' }, h('span', {}, 'prompt'), prompt),
      h('label', { class: 'field' }, h('span', {}, 'agent'), agent),
      h('label', { class: 'field' }, h('span', {}, 'base'), base),
      h('label', {}, quick, ' quick: skip setup commands'),
      out,
      h('div', { class: 'buttons' }, back, next, start),
    ];
  });
}

// ---- notifications and toasts ---------------------------------------------------------------

function toast(text: string): void {
  const t = h('div', { class: 'toast' }, text);
  toastsEl.append(t);
  setTimeout(() => t.remove(), 6000);
}

async function askNotifications(): Promise<void> {
  if (typeof Notification === 'undefined') return;
  const p = await Notification.requestPermission();
  toast(p === 'granted' ? 'notifications on: you will hear when an agent needs you or is done' : 'notifications are off (the browser said no)');
  renderHeader();
}

function notify(rows: Row[]): void {
  const notices = noticesBetween(state.prev, rows, { showRepo: state.hello?.all });
  for (const n of notices) {
    toast(`${n.title}${n.body ? `: ${n.body}` : ''}`);
    if (typeof Notification !== 'undefined' && Notification.permission === 'granted') {
      const note = new Notification(n.title, { body: n.body, tag: n.tag });
      note.onclick = () => {
        window.focus();
        select(n.session);
      };
    }
  }
}

// ---- the live stream ------------------------------------------------------------------------

function connect(): void {
  const source = new EventSource('/api/events');
  source.addEventListener('open', () => {
    state.connected = true;
    renderHeader();
  });
  source.addEventListener('error', () => {
    state.connected = false;
    renderHeader();
  });
  source.addEventListener('hello', (ev) => {
    state.hello = JSON.parse((ev as MessageEvent<string>).data) as Hello;
    renderHeader();
  });
  source.addEventListener('agents', (ev) => {
    const rows = JSON.parse((ev as MessageEvent<string>).data) as Row[];
    notify(rows);
    state.prev = seenOf(rows);
    state.rows = rows;
    state.connected = true;
    renderHeader();
    renderList();
    if (state.selected && (!detail || detail.session !== state.selected)) openDetail();
    else updateDetailHead();
  });
  source.addEventListener('problem', (ev) => {
    state.problem = (JSON.parse((ev as MessageEvent<string>).data) as { message: string | null }).message;
    renderHeader();
  });
  source.addEventListener('progress', (ev) => {
    const p = JSON.parse((ev as MessageEvent<string>).data) as ProgressEvent;
    for (const sink of progressSinks) sink(p);
  });
}

window.addEventListener('hashchange', () => select(selectedFromHash()));
// Ages move on without news from the server.
setInterval(() => {
  if (state.rows.length > 0) {
    renderList();
    updateDetailHead();
  }
}, 15_000);

renderHeader();
renderList();
openDetail();
connect();
