// The web page of senti serve in a real browser: Debian's chromium, headless, driven by
// playwright-core (tests/cli/web.sh starts the server and runs this).
//
// Environment: BASE (http://127.0.0.1:PORT), CHROMIUM (the executable), CSV (a small CSV
// file) and EXPECTED (`senti batch CSV` of it), OUT (a folder for screenshots and the
// download). Prints "ok - NAME" / "not ok - NAME" lines; exit status 77 when chromium cannot
// start (the suite then skips).
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';

const { BASE, CHROMIUM, CSV, EXPECTED, OUT } = process.env;
const full = !process.env.ONLY_FILES; // ONLY_FILES=1: the file flow only (a second model's server)
const origin = new URL(BASE).origin;
const ok = (name) => console.log(`ok - ${name}`);
const notOk = (name, why) => console.log(`not ok - ${name}${why ? `\n    ${String(why).slice(0, 600)}` : ''}`);
const check = (name, cond, why) => (cond ? ok(name) : notOk(name, why));

fs.mkdirSync(OUT, { recursive: true });
let browser;
try {
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // as root chromium refuses its sandbox; the page is our own, served on loopback
    args: process.getuid && process.getuid() === 0 ? ['--no-sandbox'] : [],
    timeout: 20000,
  });
} catch (e) {
  console.log(`chromium cannot start: ${String(e.message).split('\n')[0]}`);
  process.exit(77);
}

const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1000, height: 900 } });
const page = await context.newPage();
const consoleErrors = [], foreign = [];
page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
page.on('pageerror', (e) => consoleErrors.push(String(e)));
context.on('request', (r) => {
  const u = r.url();
  if (!u.startsWith('blob:') && !u.startsWith('data:') && new URL(u).origin !== origin) foreign.push(u);
});
// (a request to another host is reported at the end; the page's CSP would also refuse it. No
// route() interception: it would put this process in the path of every request)

async function withTimeout(name, fn) {
  try { await fn(); } catch (e) { notOk(name, e.message); }
}

// ---- the page and its headers
const resp = await page.goto(`${BASE}/`);
const h = resp.headers();
check('GET / is HTML', resp.status() === 200 && /^text\/html/.test(h['content-type']), `${resp.status()} ${h['content-type']}`);
check('GET / has a strict Content-Security-Policy', /default-src 'none'/.test(h['content-security-policy'] || '') &&
  /connect-src 'self'/.test(h['content-security-policy']), h['content-security-policy']);
check('GET / has an ETag and Cache-Control', /^"[0-9a-f]{16}"$/.test(h.etag || '') && h['cache-control'] === 'no-cache',
  `${h.etag} ${h['cache-control']}`);
await withTimeout('the model is named', async () => {
  await page.waitForFunction(() => /^Model /.test(document.getElementById('model-line').textContent), null, { timeout: 10000 });
  ok('the model is named');
});

// ---- Try: label and highlighted tokens, read from the DOM
if (full) {
async function tryText(text) {
  await page.fill('#try-text', text);
  await page.waitForFunction((t) => document.getElementById('try-tokens').textContent === t &&
    document.getElementById('try-label').textContent !== '—', text, { timeout: 10000 });
  return page.evaluate(() => ({
    label: document.getElementById('try-label').textContent,
    bars: document.querySelectorAll('#try-bars .bar').length,
    tokens: [...document.querySelectorAll('#try-tokens .tok')].map((s) => ({ text: s.textContent, w: Number(s.dataset.w) })),
  }));
}
await withTimeout('Try: a positive text', async () => {
  const r = await tryText('what a wonderful, moving film');
  check('Try: a positive text is labelled positive', r.label === 'positive', JSON.stringify(r));
  check('Try: a bar per class', r.bars >= 2, JSON.stringify(r));
  const good = r.tokens.find((t) => t.text === 'wonderful');
  check('Try: "wonderful" is highlighted towards positive', good && good.w > 0, JSON.stringify(r.tokens));
});
await withTimeout('Try: a negative text', async () => {
  const r = await tryText('a dull, lifeless mess');
  check('Try: a negative text is labelled negative', r.label === 'negative', JSON.stringify(r));
  const bad = r.tokens.filter((t) => ['dull', 'lifeless', 'mess'].includes(t.text));
  check('Try: its words are highlighted away from positive', bad.length === 3 && bad.every((t) => t.w < 0),
    JSON.stringify(r.tokens));
});
await page.fill('#try-text', 'not a bad film at all: the cast is wonderful, though the ending drags');
await page.waitForFunction(() => document.querySelectorAll('#try-tokens .tok').length > 10, null, { timeout: 10000 }).catch(() => {});
await page.screenshot({ path: path.join(OUT, 'try.png') });
// the README's picture (docs/img/web.png is this file, copied when the page changes meaningfully)
await page.screenshot({ path: path.join(OUT, 'readme.png'), clip: { x: 0, y: 0, width: 1000, height: 585 } });
check('a screenshot is written', fs.statSync(path.join(OUT, 'try.png')).size > 1000);

// ---- every control is labelled; the page says its language
const unlabelled = await page.evaluate(() => [...document.querySelectorAll('input, select, textarea, button')]
  .filter((e) => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.textContent.trim())
  .map((e) => e.id || e.outerHTML.slice(0, 60)));
check('every control has a label', unlabelled.length === 0, unlabelled.join(' '));
check('the page says its language', await page.evaluate(() => document.documentElement.lang === 'en'));

// ---- keyboard: arrows move between the tabs
await page.focus('#tab-try');
await page.keyboard.press('ArrowRight');
check('keyboard: ArrowRight selects the next tab',
  await page.evaluate(() => document.getElementById('tab-compare').getAttribute('aria-selected') === 'true' &&
    !document.getElementById('panel-compare').hidden));
check('Compare says how many models the server has',
  /one model|models/.test(await page.textContent('#compare-note')));
}

// ---- Score a file: the download is `senti batch` byte for byte, for each FILES pair
// ("INPUT=EXPECTED ..."; the first is a CSV with a malformed record)
async function scoreFile(input, expected, first) {
  const name = path.basename(input);
  await page.click('#tab-file');
  await page.evaluate(() => { document.getElementById('file-download').disabled = true; });
  await page.setInputFiles('#file-input', input);
  await page.waitForFunction(() => !document.getElementById('file-download').disabled, null, { timeout: 20000 });
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#file-download')]);
  const got = path.join(OUT, `download-${name}`);
  await dl.saveAs(got);
  const a = fs.readFileSync(got), b = fs.readFileSync(expected);
  check(`Score a file: ${name}: the download equals \`senti batch\` byte for byte`, a.equals(b),
    `got ${a.length} bytes, expected ${b.length}:\n${a.toString().slice(0, 400)}\n---\n${b.toString().slice(0, 400)}`);
  if (!first) return;
  const rows = await page.$$eval('#file-rows tr', (t) => t.length);
  check('Score a file: a table of the first rows', rows > 0, `${rows} rows`);
  const errs = await page.$$eval('#file-errors li', (l) => l.map((x) => x.textContent));
  check('Score a file: a malformed record is shown with its line', errs.some((e) => /:\d+: /.test(e)), JSON.stringify(errs));
  await page.screenshot({ path: path.join(OUT, 'file.png') });
}
const pairs = (process.env.FILES || `${CSV}=${EXPECTED}`).split(' ').filter(Boolean).map((p) => p.split('='));
for (const [i, [input, expected]] of pairs.entries())
  await withTimeout(`Score a file: ${path.basename(input)}`, () => scoreFile(input, expected, i === 0 && full));

// ---- a CSV without a text column: the page asks for one; the result is `senti batch --text-col`
if (full && process.env.NOTEXT) await withTimeout('Score a file: choosing the text column', async () => {
  const [input, expected] = process.env.NOTEXT.split('=');
  await page.setInputFiles('#file-input', input);
  await page.waitForFunction(() => /no text column/.test(document.getElementById('file-status').textContent) &&
    !document.getElementById('file-col-box').hidden, null, { timeout: 10000 });
  ok('Score a file: a file without a text column asks for one');
  await page.evaluate(() => { document.getElementById('file-download').disabled = true; });
  await page.selectOption('#file-col', { label: 'body' });
  await page.waitForFunction(() => !document.getElementById('file-download').disabled, null, { timeout: 20000 });
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#file-download')]);
  const got = path.join(OUT, 'download-notext.csv');
  await dl.saveAs(got);
  check('Score a file: the chosen column gives `senti batch --text-col` byte for byte',
    fs.readFileSync(got).equals(fs.readFileSync(expected)), fs.readFileSync(got).toString().slice(0, 300));
});

// ---- Watch: the charts move after requests
if (full) {
await withTimeout('Watch', async () => {
  await page.click('#tab-watch');
  await page.waitForFunction(() => Number(document.getElementById('c-rps').dataset.points || 0) >= 1, null, { timeout: 10000 });
  const before = await page.evaluate(() => ({ n: Number(document.getElementById('w-total').dataset.requests),
    img: document.getElementById('c-rps').toDataURL() }));
  await page.evaluate(async () => {
    for (let i = 0; i < 20; i++)
      await fetch('/v1/sentiment', { method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ text: `request ${i} was great` }) });
  });
  await page.waitForFunction((n) => Number(document.getElementById('w-total').dataset.requests) >= n + 20, before.n,
    { timeout: 10000 });
  await page.waitForTimeout(1200);
  const after = await page.evaluate(() => ({ img: document.getElementById('c-rps').toDataURL(),
    lat: document.getElementById('w-lat').textContent, rps: document.getElementById('w-rps').textContent }));
  check('Watch: the counters count the requests', true);
  check('Watch: the requests chart is redrawn', after.img !== before.img);
  check('Watch: latency percentiles are shown', /\d/.test(after.lat), after.lat);
  await page.screenshot({ path: path.join(OUT, 'watch.png') });
});

// ---- a phone-sized screen: nothing wider than the viewport
await page.setViewportSize({ width: 375, height: 740 });
await page.click('#tab-try');
const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
check('phone-sized screen: no horizontal scrolling', overflow <= 0, `${overflow} px too wide`);
await page.screenshot({ path: path.join(OUT, 'phone.png') });
}

check('no request leaves for another host', foreign.length === 0, foreign.join(' '));
check('no console errors', consoleErrors.length === 0, consoleErrors.join(' | '));
await browser.close();
