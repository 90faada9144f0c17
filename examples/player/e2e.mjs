// Browser end-to-end test: plays every playback URL in Debian's Chromium, driven by playwright-core.
//
//   node e2e.mjs <cases.json> <out-dir>
//
// cases.json (written by scripts/e2e):
//   { "disallowed_origin": "http://localhost:8081",
//     "cases": [ { "spec": "mediastore.toml", "origin": "https://player.example.com",
//                  "ladder": [[1920, 1080], ...],
//                  "playback": [ { "asset": "sample", "format": "hls", "manifest": "m3u8", "url": "..." } ] } ] }
//
// A case with "signature" (private content) is played with that query string appended to every
// request, and first played without it, which must fail with 403s.
//
// For every playback URL, the player page is served from the spec's allowed origin, and the test
// asserts that currentTime passes 2 s, that no CORS or media error was raised, that the renditions the
// player reports match the ladder, and it asks the player to switch rendition. It saves a screenshot
// of the playing video to <out-dir>. The negative case runs first: the page served from an origin
// the pipeline does not allow must fail with a CORS error. Results go to <out-dir>/results.json; the exit
// code is 0 only when every assertion held.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { servePlayer } from './serve.mjs';

const [casesFile, outDir] = process.argv.slice(2);
if (!casesFile || !outDir) {
  console.error('usage: node e2e.mjs <cases.json> <out-dir>');
  process.exit(2);
}
const { cases, disallowed_origin: disallowedOrigin } = JSON.parse(fs.readFileSync(casesFile, 'utf8'));
fs.mkdirSync(outDir, { recursive: true });

const PLAY_SECONDS = 2;
const TIMEOUT_MS = 60_000;

// Hosts other than localhost are mapped to this machine; everything else resolves as usual.
const origins = [...new Set([...cases.map((c) => c.origin), disallowedOrigin])];
const mapped = origins.map((o) => new URL(o).hostname).filter((h) => h !== 'localhost' && !h.endsWith('.localhost'));
const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vod-e2e-chromium-'));
const args = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--autoplay-policy=no-user-gesture-required',
  '--ignore-certificate-errors',
];
if (mapped.length) {
  args.push(`--host-resolver-rules=${mapped.map((h) => `MAP ${h} 127.0.0.1`).join(', ')}`);
}

const servers = [];
for (const o of origins) servers.push(await servePlayer(o));
const browser = await chromium.launchPersistentContext(userDataDir, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args,
  viewport: { width: 900, height: 700 },
});
console.log(`e2e: ${browser.browser()?.version() ?? 'chromium'}, player origins ${origins.join(', ')}`);

const sameLadder = (levels, ladder) => {
  const key = (l) => l.map(([w, h]) => `${w}x${h}`).sort().join(' ');
  return key(levels.map((l) => [l.width, l.height])) === key(ladder);
};
const isCors = (m) => /CORS|Access-Control-Allow-Origin/i.test(m);

async function open(origin, url, signature) {
  const page = await browser.newPage();
  const consoleErrors = [];
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(`page error: ${e.message}`));
  // Error statuses from the distribution (the player page's own origin is not counted).
  const httpErrors = [];
  const cdn = new URL(url).host;
  page.on('response', (r) => {
    if (r.status() >= 400 && new URL(r.url()).host === cdn) httpErrors.push(`${r.status()} ${r.url()}`);
  });
  const sig = signature ? `&sig=${encodeURIComponent(signature)}` : '';
  await page.goto(`${origin}/?src=${encodeURIComponent(url)}${sig}`);
  return { page, consoleErrors, httpErrors };
}

// The status of a GET from outside the browser (a 403 without CORS headers reaches a page as a
// network error with status 0, so the page alone cannot tell a refusal from an outage).
function statusOf(url) {
  const u = new URL(url);
  return new Promise((resolve) => {
    const req = http.request(
      { host: '127.0.0.1', port: u.port || 80, path: u.pathname + u.search, headers: { host: u.host } },
      (res) => {
        res.resume();
        resolve(res.statusCode);
      },
    );
    req.on('error', () => resolve(0));
    req.end();
  });
}

const results = [];
let failed = 0;
const fail = (r, why) => {
  r.failures.push(why);
};

// The negative case first, while the browser cache is empty (a cached answer to another origin would
// also fail CORS, for another reason): a page from an origin the pipeline does not allow is refused.
{
  const c = cases[0];
  const p = c.playback[0];
  const r = { name: 'disallowed-origin', origin: disallowedOrigin, url: p.url, failures: [] };
  const { page, consoleErrors } = await open(disallowedOrigin, p.url);
  await page
    .waitForFunction(() => window.vodSnapshot && window.vodSnapshot().errors.length > 0, null, { timeout: 20_000 })
    .catch(() => {});
  await page.waitForTimeout(500);
  const s = await page.evaluate(() => window.vodSnapshot());
  Object.assign(r, { current_time: s.currentTime, errors: s.errors, console_errors: consoleErrors });
  if (!consoleErrors.some(isCors)) fail(r, `no CORS error in the console: ${JSON.stringify(consoleErrors)}`);
  if (!s.errors.length) fail(r, 'the player raised no error');
  if (s.currentTime > 0) fail(r, `it played (${s.currentTime} s) although the origin is not allowed`);
  await page.close();
  if (r.failures.length) failed++;
  results.push(r);
  console.log(
    `${r.failures.length ? 'FAIL' : 'PASS'} ${r.name}: ${disallowedOrigin} -> ${p.url}: ` +
      `${consoleErrors.filter(isCors)[0] ?? 'no CORS error'}; player: ${JSON.stringify(s.errors[0] ?? null)}` +
      (r.failures.length ? `\n     ${r.failures.join('\n     ')}` : ''),
  );
}

// Private content: without the signature, every playback URL of a private case is refused (403) and
// nothing plays.
for (const c of cases.filter((c) => c.signature)) {
  for (const p of c.playback) {
    const name = `${path.basename(c.spec, '.toml')}-${p.asset}-${p.format}-${p.manifest}-unsigned`;
    const r = { name, spec: c.spec, origin: c.origin, url: p.url, failures: [] };
    const { page, httpErrors } = await open(c.origin, p.url);
    await page
      .waitForFunction(() => window.vodSnapshot && window.vodSnapshot().errors.length > 0, null, { timeout: 20_000 })
      .catch(() => {});
    await page.waitForTimeout(500);
    const s = await page.evaluate(() => window.vodSnapshot());
    const direct = await statusOf(p.url);
    Object.assign(r, { current_time: s.currentTime, errors: s.errors, http_errors: httpErrors, unsigned_status: direct });
    if (direct !== 403) fail(r, `an unsigned GET of the manifest got ${direct}, not 403`);
    if (httpErrors.length && !httpErrors.every((e) => e.startsWith('403 '))) {
      fail(r, `the distribution answered other errors: ${JSON.stringify(httpErrors)}`);
    }
    if (!s.errors.length) fail(r, 'the player raised no error');
    if (s.currentTime > 0) fail(r, `it played (${s.currentTime} s) without a signature`);
    await page.close();
    if (r.failures.length) failed++;
    results.push(r);
    console.log(
      `${r.failures.length ? 'FAIL' : 'PASS'} ${name}: unsigned GET ${direct}, player: ${JSON.stringify(s.errors[0] ?? null)}` +
        (r.failures.length ? `\n     ${r.failures.join('\n     ')}` : ''),
    );
  }
}

for (const c of cases) {
  for (const p of c.playback) {
    const name = `${path.basename(c.spec, '.toml')}-${p.asset}-${p.format}-${p.manifest}`;
    const r = { name, spec: c.spec, origin: c.origin, url: p.url, failures: [] };
    const { page, consoleErrors, httpErrors } = await open(c.origin, p.url, c.signature);
    try {
      await page.waitForFunction(
        (t) => {
          const s = window.vodSnapshot && window.vodSnapshot();
          return s && (s.currentTime > t || s.errors.some((e) => e.fatal !== false));
        },
        PLAY_SECONDS,
        { timeout: TIMEOUT_MS, polling: 100 },
      );
    } catch (e) {
      fail(r, `currentTime did not pass ${PLAY_SECONDS} s within ${TIMEOUT_MS / 1000} s`);
    }
    // Ask for another rendition, and see whether the player reports the switch.
    const before = await page.evaluate(() => window.vodSnapshot());
    if (before.levels.length > 1) {
      const target = before.levelSwitches.at(-1) === 0 ? 1 : 0;
      await page.evaluate((i) => window.vodSwitch(i), target);
      r.switch_requested = target;
      r.switched = await page
        .waitForFunction((i) => window.vodSnapshot().levelSwitches.includes(i), target, { timeout: 10_000 })
        .then(() => true, () => false);
    }
    const s = await page.evaluate(() => window.vodSnapshot());
    const shot = path.join(outDir, `${name}.png`);
    await page.locator('video').screenshot({ path: shot });
    Object.assign(r, {
      engine: s.engine,
      current_time: s.currentTime,
      video_width: s.videoWidth,
      video_height: s.videoHeight,
      levels: s.levels,
      level_switches: s.levelSwitches,
      errors: s.errors,
      console_errors: consoleErrors,
      http_errors: httpErrors,
      screenshot: shot,
    });
    if (!(s.currentTime > PLAY_SECONDS)) fail(r, `currentTime ${s.currentTime} <= ${PLAY_SECONDS}`);
    // Fatal player errors and errors of the video element fail; hls.js's non-fatal, recovered events
    // (such as bufferSeekOverHole, a jump over a gap at the start of a TS stream) are kept in results.json.
    const fatal = s.errors.filter((e) => e.fatal !== false);
    if (fatal.length) fail(r, `player errors: ${JSON.stringify(fatal)}`);
    if (httpErrors.length) fail(r, `the distribution answered errors: ${httpErrors.join(', ')}`);
    const cors = consoleErrors.filter(isCors);
    if (cors.length) fail(r, `CORS errors: ${cors.join(' | ')}`);
    if (!sameLadder(s.levels, c.ladder)) {
      fail(r, `renditions ${JSON.stringify(s.levels.map((l) => [l.width, l.height]))} do not match the ladder ${JSON.stringify(c.ladder)}`);
    }
    if (s.levels.length < 2) fail(r, 'fewer than two renditions: nothing to switch between');
    await page.close();
    if (r.failures.length) failed++;
    results.push(r);
    console.log(
      `${r.failures.length ? 'FAIL' : 'PASS'} ${name}: ${r.engine}, t=${r.current_time.toFixed(2)} s, ` +
        `${r.video_width}x${r.video_height}, ${r.levels.length} renditions, switch to ${r.switch_requested} ` +
        `${r.switched ? 'done' : 'not seen'}, screenshot ${shot}` +
        (r.failures.length ? `\n     ${r.failures.join('\n     ')}` : ''),
    );
  }
}

await browser.close();
for (const s of servers) await s.close();
fs.rmSync(userDataDir, { recursive: true, force: true });
fs.writeFileSync(path.join(outDir, 'results.json'), JSON.stringify(results, null, 2));
console.log(`e2e: ${results.length - failed} of ${results.length} passed; results in ${path.join(outDir, 'results.json')}`);
process.exit(failed ? 1 : 0);
