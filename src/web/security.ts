/**
 * The dashboard's guards, pure so they can be tested without a server. The page can type into
 * agents that run code, so it is treated like a shell: a secret token (exchanged for an
 * HttpOnly, SameSite=Strict cookie), the exact Host it listens on (against DNS rebinding), the
 * exact Origin for anything that changes state (against cross-site requests), and no CORS.
 */
import crypto from 'node:crypto';
import net from 'node:net';
import { UsageError } from '../errors.js';

/** 256 random bits, URL-safe. */
export function newToken(): string {
  return crypto.randomBytes(32).toString('base64url');
}

/** Compare secrets in constant time (a length difference is not secret: tokens have one length). */
export function sameSecret(given: string | undefined | null, token: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}

/** Cookies carry no port, so each dashboard names its own (two dashboards don't log each other out). */
export function cookieName(port: number): string {
  return `fleet_dashboard_${port}`;
}

export function sessionCookie(port: number, token: string): string {
  return `${cookieName(port)}=${token}; HttpOnly; SameSite=Strict; Path=/`;
}

/** The value of one cookie in a Cookie header, or null. */
export function readCookie(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (net.isIPv4(host)) return host.startsWith('127.');
  if (net.isIPv6(host)) return host === '::1' || host === '0:0:0:0:0:0:0:1';
  return false;
}

/**
 * Check --host. Loopback is always fine; anything else only with --allow-remote, and never a
 * wildcard (0.0.0.0, ::): the Host check needs the one address the page is reached at.
 */
export function checkListenHost(host: string, allowRemote: boolean): string {
  const h = host.trim().replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost') return '127.0.0.1';
  if (!net.isIP(h)) throw new UsageError(`--host "${host}" is not an IP address`, 'e.g. --host 127.0.0.1 (the default) or --host ::1');
  if (isLoopback(h)) return h;
  if (h === '0.0.0.0' || h === '::' || /^0+(\.0+){3}$/.test(h)) {
    throw new UsageError(`--host "${host}" listens on every address`, 'name the one address the page is opened at, e.g. --host 192.168.1.20 --allow-remote');
  }
  if (!allowRemote) {
    throw new UsageError(
      `--host "${host}" is not a loopback address; the dashboard can type into agents, so it listens on this machine only`,
      `add --allow-remote to accept connections to ${host} (plain HTTP: anyone who can read the traffic gets the token)`,
    );
  }
  return h;
}

/** "127.0.0.1:4000", "[::1]:4000": what the Host header must be, and the origin's authority. */
export function authority(host: string, port: number): string {
  return net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

export function originOf(host: string, port: number): string {
  return `http://${authority(host, port)}`;
}

/** The Host header must name exactly the address and port we listen on (DNS rebinding sends another name). */
export function hostAllowed(hostHeader: string | undefined, host: string, port: number): boolean {
  return typeof hostHeader === 'string' && hostHeader.toLowerCase() === authority(host, port).toLowerCase();
}

/**
 * A state-changing request must come from the page itself: its Origin is ours, and where the
 * browser says where it came from (Sec-Fetch-Site), it says same-origin.
 */
export function originAllowed(headers: { origin?: string; 'sec-fetch-site'?: string }, host: string, port: number): boolean {
  if (headers.origin !== originOf(host, port)) return false;
  const site = headers['sec-fetch-site'];
  return site === undefined || site === 'same-origin';
}

/** Headers on every answer: no caching, no framing, no sniffing, scripts only from us, no referrer (the token URL). */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  // xterm.js adds <style> elements for its themes, hence 'unsafe-inline' for styles (never for scripts).
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};
