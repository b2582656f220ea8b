import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { findProjectRoot } from '../../api/docs/mount-docs.js';

/** The repository root. */
export const ROOT = findProjectRoot(process.cwd());
/** Debian's Chromium: playwright-core brings no browser of its own. */
export const CHROMIUM = '/usr/bin/chromium';

function newestSourceChange(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSourceChange(file) : fs.statSync(file).mtimeMs);
  }
  return newest;
}

/**
 * Vite's programmatic build, run in a child process: under jest's VM modules rolldown's native
 * binding rejects the plugin objects Vite hands it ("Value is none of these types ...").
 */
const BUILD_SCRIPT = `import { build } from 'vite';
await build({ configFile: process.argv[1], build: { outDir: process.argv[2] }, logLevel: 'warn' });`;

/**
 * Builds the Vite app whose sources (and vite.config.ts) are in `source` into `outDir`, the folder
 * the API serves, unless a build newer than its sources is there.
 */
export async function ensureViteBuilt(source: string, outDir: string): Promise<void> {
  const index = path.join(outDir, 'index.html');
  const fresh = () => fs.existsSync(index) && fs.statSync(index).mtimeMs >= newestSourceChange(source);
  if (fresh()) return;
  // Test files run in parallel: one builds, the others wait for its lock to go and find it fresh
  // (two builds into one folder at once leave it half written).
  const lock = `${outDir}.building`;
  fs.mkdirSync(path.dirname(outDir), { recursive: true });
  for (let waited = 0; ; waited += 200) {
    try {
      fs.mkdirSync(lock, { recursive: false });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      // A lock older than any build (its holder was killed) is taken over.
      if (waited > 180_000) fs.rmSync(lock, { recursive: true, force: true });
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  try {
    if (fresh()) return;
    await promisify(execFile)(
      process.execPath,
      ['--input-type=module', '-e', BUILD_SCRIPT, path.join(source, 'vite.config.ts'), outDir],
      { cwd: ROOT },
    );
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
  if (!fs.existsSync(index)) throw new Error(`the build of ${source} wrote no ${index}`);
}

/**
 * A WAV file of a loud speech-like tone for the fake microphone: Chromium's own fake is a 20 ms beep
 * every 500 ms, far below the voice server's speaking threshold (-50 dBov on average over 500 ms).
 */
function toneFile(): string {
  const rate = 48000;
  const samples = rate * 2;
  const wav = Buffer.alloc(44 + samples * 2);
  wav.write('RIFF', 0);
  wav.writeUInt32LE(36 + samples * 2, 4);
  wav.write('WAVEfmt ', 8);
  wav.writeUInt32LE(16, 16);
  wav.writeUInt16LE(1, 20); // PCM
  wav.writeUInt16LE(1, 22); // mono
  wav.writeUInt32LE(rate, 24);
  wav.writeUInt32LE(rate * 2, 28);
  wav.writeUInt16LE(2, 32);
  wav.writeUInt16LE(16, 34);
  wav.write('data', 36);
  wav.writeUInt32LE(samples * 2, 40);
  // Speech-like rather than steady: with a steady tone the speaking mark sometimes never came (the
  // browser's noise suppression can learn a stationary sound and remove it). Here
  // the pitch changes every 250 ms and the loudness swells three times a second, like syllables.
  for (let i = 0; i < samples; i++) {
    const t = i / rate;
    const pitch = [220, 330, 262, 392, 294, 440, 247, 349][Math.floor(t * 4) % 8]!;
    const swell = 0.4 + 0.6 * Math.abs(Math.sin(Math.PI * 3 * t));
    wav.writeInt16LE(Math.round(20000 * swell * Math.sin(2 * Math.PI * pitch * t)), 44 + i * 2);
  }
  // The same bytes every time: one file serves every run (written aside, then renamed into place).
  const file = path.join(os.tmpdir(), 'plexichat-fake-microphone-v2.wav');
  const aside = `${file}.${process.pid}`;
  fs.writeFileSync(aside, wav);
  fs.renameSync(aside, file);
  return file;
}

/**
 * Chromium flags for pages that call getUserMedia: granted without a prompt, the microphone a
 * speech-like tone (loud enough for the voice server to mark its sender as speaking).
 */
export function fakeMicrophoneFlags(): string[] {
  return [
    '--use-fake-ui-for-media-stream',
    '--use-fake-device-for-media-stream',
    `--use-file-for-fake-audio-capture=${toneFile()}`,
  ];
}

/** Starts Debian's Chromium headless, with the flags this machine needs (no sandbox in containers) and `extraArgs`. */
export async function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: apt-get install chromium (.ci/run does it in CI)`);
  }
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', ...extraArgs] });
}

/** A page in a fresh browser profile, recording its console errors and uncaught exceptions. */
export interface OpenedPage {
  context: BrowserContext;
  page: Page;
  errors: string[];
}

/** A fresh browser profile (no cookies, no storage) with a page that records its errors. */
export async function openPage(browser: Browser): Promise<OpenedPage> {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const errors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text());
  });
  // DEBUG_PAGES=1 also names the URL of every failed response (the console line above does not).
  if (process.env.DEBUG_PAGES) {
    page.on('response', (res) => {
      if (res.status() >= 400) errors.push(`${res.status()} ${res.url()}`);
    });
  }
  page.on('pageerror', (err) => errors.push(err.message));
  return { context, page, errors };
}

/**
 * Checks that the single-page app at `base` (e.g. `/admin`) is served under the API's
 * Content-Security-Policy: no inline script, scripts as hashed files cached for good, the page never cached.
 */
export async function expectServedUnderCsp(origin: string, base: string): Promise<void> {
  const res = await fetch(`${origin}${base}/`);
  expect(res.status).toBe(200);
  const csp = res.headers.get('content-security-policy') ?? '';
  const scriptSrc = /script-src ([^;]*)/.exec(csp)?.[1] ?? '';
  expect(scriptSrc).toContain("'self'");
  expect(scriptSrc).not.toContain('unsafe-inline');
  expect(res.headers.get('cache-control')).toBe('no-store');
  const html = await res.text();
  expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
  const script = new RegExp(`<script[^>]*src="(${base}/assets/[^"]+\\.js)"`).exec(html)?.[1];
  expect(script).toBeDefined();
  const asset = await fetch(`${origin}${script}`);
  expect(asset.status).toBe(200);
  expect(asset.headers.get('content-type')).toMatch(/javascript/);
  expect(asset.headers.get('cache-control')).toContain('immutable');
}
