import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** The program that opens a file or URL in the user's browser, or null where there is none we know. */
export function opener(platform: NodeJS.Platform = process.platform): string | null {
  if (platform === 'darwin') return 'open';
  if (platform === 'win32') return null;
  return 'xdg-open';
}

/**
 * A private file (0600) that sends the browser on to the URL. The browser is given the file's
 * path, not the URL: the token stays off every command line (ps shows argv to every user).
 */
export function writeRedirectFile(dir: string, port: number, url: string): string {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, `dashboard-${port}.html`);
  const safe = url.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  fs.rmSync(file, { force: true });
  fs.writeFileSync(
    file,
    `<!doctype html>\n<meta charset="utf-8">\n<meta http-equiv="refresh" content="0;url=${safe}">\n<title>fleet dashboard</title>\n<p><a href="${safe}">open the fleet dashboard</a></p>\n`,
    { mode: 0o600, flag: 'wx' },
  );
  return file;
}

/**
 * Open `target` with the platform's opener, argv only (never a shell). Resolves to null once it
 * started a browser, or to why it could not: the opener missing, or failing within `patienceMs`
 * (xdg-open without a desktop says "no method available" and exits 3). An opener still running
 * then is taken to have handed over to a browser.
 */
export function openInBrowser(target: string, platform: NodeJS.Platform = process.platform, patienceMs = 2_000): Promise<string | null> {
  const cmd = opener(platform);
  if (!cmd) return Promise.resolve(`no opener known on ${platform}`);
  return new Promise((resolve) => {
    let child;
    try {
      child = spawn(cmd, [target], { stdio: 'ignore', detached: true });
    } catch (e) {
      return resolve(`${cmd}: ${(e as Error).message}`);
    }
    const timer = setTimeout(() => {
      child.unref();
      resolve(null);
    }, patienceMs);
    child.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(e.code === 'ENOENT' ? `${cmd} not found` : `${cmd}: ${e.message}`);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(code === 0 ? null : `${cmd} ${signal ? `was killed by ${signal}` : `exited with status ${code}`}`);
    });
  });
}
