/** Small DOM helpers. Text from agents, branches and repositories goes in as text, never as HTML. */
import type { ApiError } from '../protocol.js';

type Child = Node | string | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | ((e: Event) => void)>;

/** document.createElement with attributes (on* keys become listeners) and children (strings become text). */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: (Child | Child[])[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.slice(2).toLowerCase(), v);
    else if (k === 'class') el.className = String(v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'string' ? document.createTextNode(c) : c);
  }
  return el;
}

/** An answer of the API that says no: its words and hint, shown as they are. */
export class ApiFailure extends Error {
  constructor(
    message: string,
    readonly hint: string | undefined,
    readonly status: number,
    /** A prompt refused because the agent is starting or has a dialog open (the server's `refused`). */
    readonly refused?: ApiError['refused'],
  ) {
    super(message);
  }
}

/** Call the dashboard's API (same origin, the session cookie goes along). */
export async function api<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiFailure('the dashboard is not answering', 'is fleet dashboard still running?', 0);
  }
  if (res.status === 401) throw new ApiFailure('not signed in to this dashboard', 'open the URL that fleet dashboard printed', 401);
  const text = await res.text();
  let data: unknown = null;
  try {
    data = text === '' ? null : JSON.parse(text);
  } catch {
    data = { error: text.trim() };
  }
  if (!res.ok) {
    const e = (data ?? {}) as Partial<ApiError>;
    throw new ApiFailure(e.error ?? `the dashboard answered ${res.status}`, e.hint, res.status, e.refused);
  }
  return data as T;
}

/** An error and its hint, as the CLI prints them. */
export function errorBox(e: unknown): HTMLElement {
  const f = e instanceof ApiFailure ? e : new ApiFailure((e as Error)?.message ?? String(e), undefined, 0);
  return h('div', { class: 'error', role: 'alert' }, h('div', { class: 'error-line' }, `error: ${f.message}`), f.hint ? h('div', { class: 'hint-line' }, `hint: ${f.hint}`) : null);
}
