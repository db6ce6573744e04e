// Drives the LabelFlight web UI in Debian's Chromium (headless, through playwright-core) against a real
// server started from server/target/labelflight-server.jar (free ports, a temporary data directory), seeded
// over Flight with DemoUpload, and walks the whole loop of issue 23: upload a CSV file from the page, write
// three LFs, run, open the rows an LF gets wrong, search, make an LF from the search, hand-label 20 rows with
// the keyboard, fit a label model (auto selection), export predictions; then checks that the Python client
// sees the same LF set and dev labels (and that the page picks up the set Python saves), that a run survives a
// dropped connection, that a failed run keeps the previous results, and that the page works at 390 px.
// A screenshot of each step goes to frontend-bridge/web-test/target/. Prints "N passed, N failed".
import {spawn, spawnSync} from 'node:child_process';
import {mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync} from 'node:fs';
import {createServer} from 'node:net';
import {tmpdir} from 'node:os';
import {join, dirname} from 'node:path';
import {fileURLToPath} from 'node:url';
import {chromium} from 'playwright-core';
import {longTextCsv, reviewsCsv} from './fixtures.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const JAR = join(ROOT, 'server/target/labelflight-server.jar');
const SHOTS = join(ROOT, 'frontend-bridge/web-test/target');
const PYTHON = process.env.LABELFLIGHT_PYTHON || join(ROOT, 'clients/python/.venv/bin/python');
const ROWS = 20000;
const CSV_ROWS = 5500; // 2000-row chunks: the last one is smaller, so rows and chunks give different fractions
const STEP_MS = 45000;
// The server runs with its dev user on this token (as bin/serve does with a random one); the page gets it
// from ?token=, the Flight upload and Python from LABELFLIGHT_TOKEN.
const TOKEN = 'web-test-dev-token-' + process.pid;

let passed = 0;
let failed = 0;
let skipped = 0;
let shot = 0;

// WEBTEST_STEPS=regex runs only the steps whose names match (e.g. the robustness steps against an older page).
const ONLY = process.env.WEBTEST_STEPS ? new RegExp(process.env.WEBTEST_STEPS) : null;

async function step(name, body) {
  if (ONLY && !ONLY.test(name)) {
    return;
  }
  consoleErrors.length = 0;
  const start = Date.now();
  const took = () => ` (${((Date.now() - start) / 1000).toFixed(1)} s)`;
  try {
    const outcome = await body();
    if (outcome === 'skip') {
      skipped++;
      console.log('skip ' + name + took());
      return;
    }
    passed++;
    console.log('ok   ' + name + took());
  } catch (e) {
    failed++;
    console.log('FAIL ' + name + took() + '\n     ' + String(e && e.stack || e).split('\n').slice(0, 5).join('\n     '));
    // What the browser said meanwhile (failed loads, script errors): why a step failed is often there.
    consoleErrors.splice(0).slice(-5).forEach((m) => console.log('     console: ' + m.slice(0, 300)));
    await page.screenshot({path: join(SHOTS, `failed-${String(shot + 1).padStart(2, '0')}.png`), fullPage: true})
        .catch(() => {});
  }
}

function check(condition, message) {
  if (!condition) {
    throw new Error(message);
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const {port} = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Seeds the dataset the way a client would: a Flight DoPut of generated reviews (DemoUpload in the jar). */
function seedThroughFlight(flightPort) {
  const seeded = spawnSync('java', ['--add-opens=java.base/java.nio=ALL-UNNAMED', '-cp', JAR,
    'dev.labelflight.server.DemoUpload', '127.0.0.1', String(flightPort), 'reviews', String(ROWS)],
  {encoding: 'utf8', env: {...process.env, LABELFLIGHT_TOKEN: TOKEN}});
  if (seeded.status !== 0) {
    throw new Error('seeding over Flight failed:\n' + seeded.stdout + seeded.stderr);
  }
  const ack = JSON.parse(seeded.stdout.trim().split('\n').pop());
  if (ack.rows !== ROWS) {
    throw new Error('Flight upload stored ' + ack.rows + ' rows');
  }
}

async function startServer(dataDir) {
  const [flightPort, httpPort] = [await freePort(), await freePort()];
  // WEBTEST_WEBROOT=DIR serves another copy of the page (files in the working directory come before the
  // jar's): how the robustness steps were shown to fail on the page as it was before issue 23.
  if (process.env.WEBTEST_WEBROOT) {
    symlinkSync(process.env.WEBTEST_WEBROOT, join(dataDir, 'webroot'));
  }
  // Vert.x's file caching stays on, as in production. With -Dvertx.disableFileCaching every resolution of a
  // page file unpacks it from the jar again, replacing the copy that an overlapping request may be sending;
  // one run under load failed every step with "EventBus is not defined" that way (most likely cause).
  const child = spawn('java', ['--add-opens=java.base/java.nio=ALL-UNNAMED', '-Dhazelcast.local.localAddress=127.0.0.1',
    '-Xmx512m', '-jar', JAR], {
    cwd: dataDir,
    env: {...process.env, LABELFLIGHT_DATADIR: join(dataDir, 'data'), LABELFLIGHT_FLIGHT_PORT: String(flightPort),
      LABELFLIGHT_HTTP_PORT: String(httpPort), LABELFLIGHT_DEMO_ENABLED: 'false',
      LABELFLIGHT_STORE_CHUNKROWS: '2000', LABELFLIGHT_WORKERS_INSTANCES: '2', LABELFLIGHT_MEMORY_BUDGETMIB: '256',
      LABELFLIGHT_RESIDENT_ENABLED: 'false',
      LABELFLIGHT_AUTH_DEVUSER_ENABLED: 'true', LABELFLIGHT_AUTH_DEVUSER_TOKEN: TOKEN},
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout.on('data', (d) => { log += d; });
  child.stderr.on('data', (d) => { log += d; });
  const base = `http://127.0.0.1:${httpPort}`;
  const deadline = Date.now() + 90000;
  let up = false;
  while (!up && Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error('server exited early:\n' + log);
    }
    try {
      // A bounded wait per request: once, right after start, vertx-micrometer threw on a new connection's
      // first request (socketMetric null) and that request never got an answer; the next one on a fresh
      // connection does.
      up = (await fetch(base + '/health', {signal: AbortSignal.timeout(3000)})).ok;
    } catch {
      // not listening yet
    }
    if (!up) {
      await new Promise((r) => setTimeout(r, 300));
    }
  }
  if (!up) {
    child.kill();
    throw new Error('server did not start in 90 s:\n' + log);
  }
  try {
    seedThroughFlight(flightPort);
  } catch (e) {
    child.kill();
    throw e;
  }
  return {child, base, flight: `grpc://127.0.0.1:${flightPort}`, log: () => log};
}

/** Runs a Python snippet with the labelflight client against the server; returns its last stdout line as JSON. */
function python(server, code) {
  const run = spawnSync(PYTHON, ['-c', 'import json, labelflight as lf\nc = lf.connect()\n' + code],
      {encoding: 'utf8', env: {...process.env, LABELFLIGHT_URL: server.flight, LABELFLIGHT_TOKEN: TOKEN,
        LABELFLIGHT_NO_PROGRESS: '1'}, timeout: 60000});
  if (run.status !== 0) {
    throw new Error('python failed:\n' + run.stdout + run.stderr);
  }
  return JSON.parse(run.stdout.trim().split('\n').pop());
}

const work = mkdtempSync(join(tmpdir(), 'labelflight-ui-'));
rmSync(SHOTS, {recursive: true, force: true}); // only this run's screenshots are kept as artifacts
mkdirSync(SHOTS, {recursive: true});
const server = await startServer(work);
const context = await chromium.launchPersistentContext(join(work, 'chromium-profile'), {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run'],
  viewport: {width: 1400, height: 1800},
  acceptDownloads: true,
});
context.setDefaultTimeout(STEP_MS);
// Every WebSocket the page opens, so that the test can cut one (a dropped connection).
await context.addInitScript(() => {
  const Native = window.WebSocket;
  window.__sockets = [];
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      window.__sockets.push(this);
    }
  };
});
const page = context.pages()[0] || await context.newPage();
const foreign = [];
page.on('request', (r) => {
  if (!r.url().startsWith(server.base) && !r.url().startsWith('ws://127.0.0.1') && !r.url().startsWith('blob:')
      && !r.url().startsWith('data:')) {
    foreign.push(r.url());
  }
});
const pageErrors = [];
page.on('pageerror', (e) => pageErrors.push(String(e)));
const consoleErrors = [];
page.on('console', (m) => {
  if (m.type() === 'error') {
    consoleErrors.push(m.text());
  }
});
page.on('response', (r) => {
  if (r.status() >= 500 || (r.status() === 404 && r.request().resourceType() !== 'fetch')) {
    consoleErrors.push(`${r.status()} ${r.url()}`);
  }
});

const lf = (name) => page.locator(`.lf[data-lf="${name}"]`);
const bus = (address, body) => page.evaluate(([a, b]) => window.labelflight.bus.request(a, b)
    .then((r) => ({ok: r}), (e) => ({error: e.message, code: e.failureCode, type: e.failureType})), [address, body]);
const snap = (name) => page.screenshot({path: join(SHOTS, `${String(++shot).padStart(2, '0')}-${name}.png`), fullPage: true});
const section = (id) => page.locator('#' + id).locator('xpath=ancestor::section[1]');
const snapSection = (id, name) => section(id).screenshot({path: join(SHOTS, `${String(++shot).padStart(2, '0')}-${name}.png`)});
const UPLOADED = 'uploaded_reviews';
const csv = reviewsCsv(CSV_ROWS);

try {
  await step('without a token the bridge refuses the page (401) and the page asks to sign in', async () => {
    await page.goto(server.base + '/');
    await page.getByTestId('login-state').filter({hasText: 'authentication required'}).waitFor();
    check(await page.getByTestId('token').isVisible(), 'the token field is shown');
    const refused = await bus('labelflight.api.datasets', {});
    check(refused.code === 401, 'refused with 401: ' + JSON.stringify(refused));
    check(await page.locator('[data-dataset="reviews"]').count() === 0, 'no dataset shown');
  });

  await step('a wrong token typed in is refused; ?token= signs in and leaves the address bar', async () => {
    await page.getByTestId('token').fill('not-the-token');
    await page.getByTestId('sign-in').click();
    await page.getByTestId('login-state').filter({hasText: 'invalid bearer token'}).waitFor();
    await page.goto(server.base + '/?token=' + TOKEN);
    await page.getByTestId('login-state').filter({hasText: /^signed in$/}).waitFor();
    check(!page.url().includes('token'), 'token removed from the URL: ' + page.url());
  });

  await step('the page lists the dataset uploaded over Flight with its row count and schema, and pages its rows', async () => {
    await page.locator('[data-dataset="reviews"]').waitFor();
    const rows = await page.locator('[data-dataset="reviews"] [data-testid="dataset-rows"]').textContent();
    check(rows.includes('20,000 rows'), 'row count shown: ' + rows);
    const schema = await page.locator('[data-testid="schema"]').textContent();
    for (const column of ['text', 'stars', 'gold']) {
      check(schema.includes(column), `schema lacks ${column}: ${schema}`);
    }
    await page.getByTestId('sample-range').filter({hasText: 'rows 1–20 of 20,000'}).waitFor();
    await page.getByTestId('sample-next').click();
    await page.getByTestId('sample-range').filter({hasText: 'rows 21–40 of 20,000'}).waitFor();
  });

  await step('a CSV with a schema error is refused with the row, column and value named, and nothing is stored', async () => {
    const bad = csv.trim().split('\n').slice(0, 1500).join('\n') + '\n99999,"fine text",three,0\n';
    await page.getByTestId('upload-file').setInputFiles({name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from(bad)});
    await page.getByTestId('upload-name').fill(UPLOADED);
    await page.getByTestId('upload-start').click();
    await page.getByTestId('upload-error').filter({hasText: "column 'stars': 'three' is not an integer"}).waitFor();
    const listed = await bus('labelflight.api.datasets', {});
    check(!listed.ok.datasets.some((d) => d.name === UPLOADED), 'a refused upload stored a version');
  });

  await step('a CSV file uploaded from the page is streamed into the store with progress, then selected', async () => {
    await page.getByTestId('upload-file').setInputFiles({name: 'reviews.csv', mimeType: 'text/csv', buffer: Buffer.from(csv)});
    await page.getByTestId('upload-name').fill(UPLOADED);
    await page.getByTestId('upload-start').click();
    await page.getByTestId('upload-text').filter({hasText: `stored ${UPLOADED} v1: 5,500 rows`}).waitFor();
    await page.locator(`[data-dataset="${UPLOADED}"].selected`).waitFor();
    const width = await page.locator('#upload-fill').evaluate((e) => e.style.width);
    check(parseFloat(width) === 100, 'upload progress at the end: ' + width);
    const sample = await bus('labelflight.api.sample', {dataset: UPLOADED, offset: 97, limit: 1});
    check(sample.ok.rows[0].text.includes(', "really",\n'), 'a quoted field with a comma, quotes and a newline: '
      + JSON.stringify(sample.ok.rows[0].text));
    check(sample.ok.fields.map((f) => f.type).join(',') === 'int64,utf8,int64,int64', 'types: ' + JSON.stringify(sample.ok.fields));
    await snap('upload');
  });

  await step('three LFs (keyword, regex, numeric) are written and saved as a version by the page', async () => {
    await page.getByTestId('new-kind').selectOption('keyword');
    await page.getByTestId('add-lf').click();
    await lf('keyword_1').locator('[data-field="keywords"]').fill('free\nwinner\nclick here');
    await page.getByTestId('new-kind').selectOption('regex');
    await page.getByTestId('add-lf').click();
    await lf('regex_1').locator('[data-field="pattern"]').fill('https?://');
    await page.getByTestId('new-kind').selectOption('numeric');
    await page.getByTestId('add-lf').click();
    await lf('numeric_1').locator('[data-field="column"]').selectOption('stars');
    await lf('numeric_1').locator('[data-field="value"]').fill('3');
    await lf('numeric_1').locator('[data-field="label"]').selectOption('HAM');
    await page.getByTestId('save-state').filter({hasText: /^version \d+ · saved .* by dev \(page\)/}).waitFor();
    const saved = await bus('labelflight.api.lfsets.get', {dataset: UPLOADED});
    check(saved.ok.set.lfs.map((x) => x.name).join() === 'keyword_1,regex_1,numeric_1', 'saved: ' + JSON.stringify(saved.ok.set.lfs));
    check(saved.ok.set.gold === 'gold', 'the gold column is preselected: ' + saved.ok.set.gold);
  });

  let job;
  await step('Run shows live progress in rows up to 100%, the LF summary and the charts', async () => {
    await page.getByTestId('run').click();
    await page.getByTestId('progress-text').filter({hasText: /100% · 5,500 of 5,500 rows · SUCCEEDED/}).waitFor();
    job = await page.evaluate(() => window.labelflight.state.job.id);
    await page.getByTestId('summary-table').waitFor();
    const answer = await bus('labelflight.api.analysis', {job, gold: 'gold'});
    check(answer.ok, 'analysis failed: ' + answer.error);
    const shown = await page.locator('[data-testid="summary-table"] [data-key="coverage"]').evaluateAll(
        (cells) => cells.map((c) => Number(c.dataset.value)));
    check(JSON.stringify(shown) === JSON.stringify(answer.ok.lfs.map((x) => x.coverage)), `coverage shown ${shown}`);
    const chart = page.getByTestId('lf-chart');
    await chart.locator('canvas').waitFor();
    const series = JSON.parse(await chart.getAttribute('data-series'));
    check(series[0].label === 'coverage' && JSON.stringify(series[0].values) === JSON.stringify(shown), 'chart ' + JSON.stringify(series));
    check(JSON.stringify(series[2].values) === JSON.stringify(answer.ok.lfs.map((x) => x.emp_acc)), 'accuracy chart');
    const classes = page.getByTestId('class-chart');
    await classes.locator('canvas').waitFor();
    const counts = await bus('labelflight.api.coverage', {job, classes: 2});
    const perClass = JSON.parse(await classes.getAttribute('data-series'))[0].values;
    check(perClass.every((v, i) => Math.abs(v - counts.ok.perClass[i] / CSV_ROWS) < 1e-9), 'class chart ' + perClass);
    await snap('run-summary-charts');
  });

  await step('error analysis lists exactly the rows an LF gets wrong, with its matches highlighted', async () => {
    const summary = await bus('labelflight.api.analysis', {job, gold: 'gold'});
    const incorrect = summary.ok.lfs[0].incorrect;
    await page.getByTestId('review-view').selectOption('lf-wrong');
    await page.getByTestId('review-lf').selectOption('keyword_1');
    await page.getByTestId('review-gold').selectOption('gold');
    await page.getByTestId('review-show').click();
    const heading = page.getByTestId('review-heading');
    await heading.waitFor();
    check(Number(await heading.getAttribute('data-total')) === incorrect,
        `rows keyword_1 gets wrong: page ${await heading.getAttribute('data-total')}, analysis ${incorrect}`);
    const rows = page.locator('[data-testid="review-rows"] .review-row');
    check(await rows.count() === Math.min(20, incorrect), 'a page of rows');
    const marks = await rows.first().locator('mark').evaluateAll((m) => m.map((x) => x.textContent.toLowerCase()));
    check(marks.length > 0 && marks.every((m) => ['free', 'winner', 'click here'].includes(m)), 'marks ' + marks);
    check(await rows.first().locator('.tag[data-lf="keyword_1"]').getAttribute('data-vote') === 'SPAM', 'the wrong vote');
    check((await rows.first().getByTestId('row-gold').textContent()) === 'gold HAM', 'gold shown');
    await page.getByTestId('review-next').click();
    await heading.filter({hasText: '21–40'}).waitFor();
    await page.getByTestId('review-view').selectOption('uncovered');
    await page.getByTestId('review-lf').selectOption('');
    await page.getByTestId('review-show').click();
    await heading.filter({hasText: 'no LF covers'}).waitFor();
    const uncovered = Number(await heading.getAttribute('data-total'));
    const coverage = await bus('labelflight.api.coverage', {job, classes: 2});
    check(uncovered === CSV_ROWS - coverage.ok.covered, `uncovered ${uncovered} vs ${CSV_ROWS - coverage.ok.covered}`);
    await page.getByTestId('review-view').selectOption('lf-wrong');
    await page.getByTestId('review-lf').selectOption('keyword_1');
    await page.getByTestId('review-show').click();
    await heading.filter({hasText: 'votes against gold'}).waitFor();
    await snapSection('review', 'rows-an-lf-gets-wrong');
  });

  await step('search runs a keyword LF on the server: hit count, pages, highlighted matches', async () => {
    await page.getByTestId('search-column').selectOption('text');
    await page.getByTestId('search-kind').selectOption('keyword');
    await page.getByTestId('search-query').fill('gift card');
    await page.getByTestId('search-go').click();
    const count = page.getByTestId('search-count');
    await count.waitFor();
    const direct = await bus('labelflight.api.search', {dataset: UPLOADED,
      lf: {kind: 'keyword', column: 'text', keywords: ['gift card'], wholeWord: true, caseSensitive: false}, limit: 1});
    check(Number(await count.getAttribute('data-matches')) === direct.ok.matches && direct.ok.matches > 20,
        `matches ${await count.getAttribute('data-matches')} vs ${direct.ok.matches}`);
    const marks = await page.locator('[data-testid="search-hits"] mark').evaluateAll((m) => m.map((x) => x.textContent.toLowerCase()));
    check(marks.length >= 20 && marks.every((m) => m === 'gift card'), 'marks ' + marks.slice(0, 5));
    await page.getByTestId('search-next').click();
    await count.filter({hasText: '21–40'}).waitFor();
    await snapSection('search-results', 'search');
  });

  await step('hand labelling: 20 rows labelled with the keyboard become the dev set', async () => {
    await page.getByTestId('dev-start').click();
    const card = page.getByTestId('dev-card');
    for (let i = 0; i < 20; i++) {
      const row = Number(await page.getByTestId('dev-row').getAttribute('data-row'));
      const data = await bus('labelflight.api.sample', {dataset: UPLOADED, offset: row, limit: 1});
      const key = String(data.ok.rows[0].gold + 1); // 1 HAM, 2 SPAM: the row's true class
      await card.press(key);
      await page.waitForFunction((r) => {
        const shown = document.querySelector('[data-testid="dev-row"]');
        return shown && Number(shown.dataset.row) !== r;
      }, row);
    }
    await page.getByTestId('dev-count').filter({hasText: /^20 labelled/}).waitFor();
    // Back goes to the previous row, showing its label.
    await card.press('Backspace');
    await page.getByTestId('dev-row').filter({hasText: 'labelled'}).waitFor();
    const dev = await bus('labelflight.api.devset.get', {dataset: UPLOADED});
    check(dev.ok.count === 20 && dev.ok.user === 'dev', 'dev set ' + JSON.stringify(dev.ok));
    await snapSection('dev-card', 'hand-labelling');
  });

  let added;
  await step('an LF made from the search shows its coverage and accuracy on the dev set before it is added', async () => {
    await page.getByTestId('make-lf').click();
    const estimate = page.getByTestId('new-lf-estimate');
    await estimate.filter({hasText: 'on the dev set'}).waitFor();
    await page.getByTestId('new-lf-label').selectOption('SPAM');
    await estimate.filter({hasText: 'on the dev set'}).waitFor();
    const direct = await bus('labelflight.api.search', {dataset: UPLOADED, labels: ['HAM', 'SPAM'], gold: '@dev',
      lf: {kind: 'keyword', column: 'text', keywords: ['gift card'], wholeWord: true, caseSensitive: false, label: 'SPAM'}, limit: 1});
    const shown = await estimate.locator('[data-coverage]').getAttribute('data-coverage');
    check(Number(shown) === direct.ok.coverage, `coverage ${shown} vs ${direct.ok.coverage}`);
    check((await estimate.textContent()).includes(`of ${direct.ok.gold.labelled} rows`), await estimate.textContent());
    await snapSection('search-results', 'lf-from-search');
    check(await page.getByTestId('new-lf-name').inputValue() === 'kw_gift_card', 'suggested name');
    await page.getByTestId('new-lf-add').click();
    added = 'kw_gift_card';
    await lf(added).waitFor();
    check(await lf(added).locator('[data-field="keywords"]').inputValue() === 'gift card', 'keywords pre-filled');
    check(await lf(added).locator('[data-field="label"]').inputValue() === 'SPAM', 'label pre-filled');
    await page.waitForFunction(() => !window.labelflight.state.dirty);
    const saved = await bus('labelflight.api.lfsets.get', {dataset: UPLOADED});
    check(saved.ok.set.lfs.some((x) => x.name === added), 'the new LF is saved');
  });

  let model;
  await step('a run with the new LF, then a label model fitted with auto selection on the dev set', async () => {
    await page.getByTestId('run').click();
    await page.getByTestId('progress-text').filter({hasText: /100% .* SUCCEEDED/}).waitFor();
    await page.waitForFunction((j) => window.labelflight.state.results && window.labelflight.state.results.id !== j, job);
    job = await page.evaluate(() => window.labelflight.state.results.id);
    await page.getByTestId('model-kind').selectOption('auto');
    await page.getByTestId('fit').click();
    await page.locator('[data-testid="model-id"], [data-testid="model-error"]').first().waitFor();
    if (await page.getByTestId('model-error').count() > 0) {
      const message = await page.getByTestId('model-error').textContent();
      // Issue 21 (label models, auto selection) lands from the lead's lane; this server predates it.
      check(/unknown field 'gold'|'model' must be/.test(message), 'auto fit failed: ' + message);
      console.log('     (this server has no auto selection yet: ' + message.slice(0, 80) + '…; fitting "generative")');
      await page.getByTestId('model-kind').selectOption('generative');
      await page.getByTestId('fit').click();
      await page.getByTestId('model-id').waitFor();
      model = await page.getByTestId('model-id').getAttribute('data-model');
      await snap('label-model');
      return 'skip';
    }
    model = await page.getByTestId('model-id').getAttribute('data-model');
    await page.getByTestId('selection-table').waitFor();
    const rows = await page.locator('[data-testid="selection-table"] tbody tr').count();
    check(rows >= 2, 'candidates listed: ' + rows);
    check((await page.getByTestId('model').textContent()).includes('by dev gold'), 'selection by dev gold');
    await snap('label-model');
  });

  await step('the rows the label model gets wrong, filtered by confidence', async () => {
    await page.getByTestId('review-view').selectOption('model-wrong');
    await page.getByTestId('review-lf').selectOption('');
    await page.getByTestId('review-min').fill('0.9');
    await page.getByTestId('review-show').click();
    const heading = page.getByTestId('review-heading');
    await heading.filter({hasText: 'label model gets wrong'}).waitFor();
    const direct = await bus('labelflight.api.review.rows', {job, view: 'model-wrong', gold: 'gold', model,
      minConfidence: 0.9, maxConfidence: 1, limit: 1});
    check(direct.ok, 'review: ' + direct.error);
    check(Number(await heading.getAttribute('data-total')) === direct.ok.total, 'model-wrong total');
    const confidences = await page.locator('[data-testid="review-rows"] .tag.model').evaluateAll((t) => t.map((x) => x.textContent));
    check(confidences.every((c) => Number(/\((\d+)%\)/.exec(c)[1]) >= 90), 'confidences ' + confidences.slice(0, 3));
    await page.getByTestId('review-min').fill('0');
  });

  await step('predictions and L export as CSV files with every row', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-preds').click()]);
    const preds = readFileSync(await download.path(), 'utf8').trim().split('\r\n');
    check(preds[0] === 'row_id,label,p_HAM,p_SPAM', 'header ' + preds[0]);
    check(preds.length === CSV_ROWS + 1, 'rows ' + (preds.length - 1));
    const [, label, a, b] = preds[1].split(',');
    check(['HAM', 'SPAM', ''].includes(label) && Math.abs(Number(a) + Number(b) - 1) < 1e-5, 'a prediction: ' + preds[1]);
    const [labels] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-labels').click()]);
    const L = readFileSync(await labels.path(), 'utf8').trim().split('\r\n');
    check(L[0] === 'row_id,keyword_1,regex_1,numeric_1,kw_gift_card', 'L header ' + L[0]);
    check(L.length === CSV_ROWS + 1, 'L rows ' + (L.length - 1));
    const [dev] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-dev').click()]);
    check(readFileSync(await dev.path(), 'utf8').trim().split('\r\n').length === 21, 'dev set export');
  });

  await step('a stored model picked from the list predicts a new run (issue 21) and its predictions export', async () => {
    await page.getByTestId('run').click();
    await page.waitForFunction((j) => window.labelflight.state.results && window.labelflight.state.results.id !== j, job);
    const rerun = await page.evaluate(() => window.labelflight.state.results.id);
    check(await page.getByTestId('export-preds').isDisabled(), 'the old fit does not export for the new run');
    await page.locator(`[data-testid="stored-model"] option[value="${model}"]`).waitFor({state: 'attached'});
    await page.getByTestId('stored-model').selectOption(model);
    await page.getByTestId('use-model').click();
    await page.waitForFunction((j) => window.labelflight.state.model && window.labelflight.state.model.job === j, rerun);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-preds').click()]);
    const preds = readFileSync(await download.path(), 'utf8').trim().split('\r\n');
    check(preds.length === CSV_ROWS + 1, 'rows predicted by the stored model ' + (preds.length - 1));
    job = rerun;
  });

  await step('Python reads the LF set and the dev labels the page saved; the page picks up the set Python saves', async () => {
    const seen = python(server, `
s = c.lfset(${JSON.stringify(UPLOADED)})
dev = c.dev_set(${JSON.stringify(UPLOADED)})
s.add(lf.regex("re_winner", r"(?i)winner", label="SPAM"))
saved = s.save()
L = c.apply(${JSON.stringify(UPLOADED)}, saved.lfs, labels=saved.labels)
summary = c.analysis(L, gold=lf.DEV_GOLD)
print(json.dumps({"names": s.names[:-1], "version": saved.version - 1, "user": s.user, "source": s.source,
                  "dev": {str(k): v for k, v in dev["label"].items()}, "saved": saved.version,
                  "devRows": summary.attrs["rows"]}))`);
    const page_ = await bus('labelflight.api.lfsets.get', {dataset: UPLOADED});
    check(JSON.stringify(seen.names) === JSON.stringify(['keyword_1', 'regex_1', 'numeric_1', 'kw_gift_card']),
        'python sees the LFs ' + seen.names);
    check(seen.source === 'page' && seen.user === 'dev', `python sees who saved: ${seen.user} (${seen.source})`);
    const labels = await bus('labelflight.api.devset.get', {dataset: UPLOADED,
      rows: Object.keys(seen.dev).map(Number)});
    check(Object.keys(seen.dev).length === 20, 'python sees 20 dev labels');
    check(JSON.stringify(labels.ok.labels) === JSON.stringify(Object.values(seen.dev)), 'the same labels');
    check(seen.devRows === 20, 'analysis on "@dev" reads its 20 rows: ' + seen.devRows);
    check(page_.ok.set.version === seen.saved && page_.ok.set.source === 'python', 'python saved the next version');
    await page.evaluate(() => window.dispatchEvent(new Event('focus')));
    await lf('re_winner').waitFor();
    await page.getByTestId('lfset-notice').filter({hasText: `Loaded version ${seen.saved}, saved by dev (python)`}).waitFor();
    await page.locator('#history-box summary').click();
    await page.getByTestId('history-table').filter({hasText: 'added re_winner'}).waitFor();
    await snapSection('lfs', 'lf-set-from-python');
  });

  await step('a failed run shows the error next to the LF it names and keeps the previous results', async () => {
    const set = {labels: ['HAM', 'SPAM'], gold: 'gold', lfs: [
      {name: 'kw', kind: 'keyword', column: 'text', keywords: ['free', 'winner'], label: 'SPAM'},
      {name: 'url', kind: 'regex', column: 'text', pattern: 'https?://', label: 'SPAM'}]};
    check((await bus('labelflight.api.lfsets.put', {dataset: 'reviews', set})).ok, 'LF set saved');
    await page.goto(server.base + '/?again#reviews');
    await lf('url').waitFor();
    await page.getByTestId('run').click();
    await page.getByTestId('progress-text').filter({hasText: /100% .* SUCCEEDED/}).waitFor();
    await page.getByTestId('summary-table').waitFor();
    const before = await page.getByTestId('summary-table').textContent();
    await lf('url').locator('[data-field="pattern"]').fill('(unclosed');
    await page.waitForFunction(() => !window.labelflight.state.dirty);
    await page.getByTestId('run').click();
    await lf('url').getByTestId('lf-error').filter({hasText: "LF 'url' (regex)"}).waitFor();
    check((await lf('kw').getByTestId('lf-error').textContent()) === '', 'error shown on the wrong LF');
    check(await page.getByTestId('summary-table').count() === 1, 'the previous summary is gone');
    check(await page.getByTestId('summary-table').textContent() === before, 'the summary changed');
    check(await page.getByTestId('lf-chart').count() === 1, 'the previous charts are gone');
    await page.getByTestId('results-of').filter({hasText: 'last good run'}).waitFor();
    await snap('failed-run-keeps-results');
    await lf('url').locator('[data-field="pattern"]').fill('https?://');
    await page.waitForFunction(() => !window.labelflight.state.dirty);
  });

  await step('a run survives a dropped connection: the page reconnects, listens again and its progress goes on, in rows', async () => {
    // Long texts, so that the run takes long enough to cut the connection in the middle of it.
    const long = longTextCsv(19000, 1500);
    const up = await fetch(`${server.base}/api/upload/long_texts?format=csv`, {method: 'POST', body: long,
      headers: {Authorization: 'Bearer ' + TOKEN, 'Content-Type': 'text/csv'}});
    check(up.ok, 'upload of long texts: ' + up.status + ' ' + await up.text());
    const patterns = ['[a-z]+[0-9]{3} [a-z]+ [a-z]+[0-9]', '(great|fine) [a-z]+ [a-z]+ [0-9]+', '[0-9]{2}[a-z]+ (box|size)',
      'w[a-z]*k[a-z]* [a-z]+[0-9]', '(a|e)[a-z]{3,} [0-9]{3}', 'r[a-z]+ [a-z]+ [a-z]+ [0-9]{2}'];
    const set = {labels: ['HAM', 'SPAM'], lfs: patterns.map((p, i) => ({name: 're' + i, kind: 'regex', column: 'text',
      pattern: p, label: i % 2 ? 'HAM' : 'SPAM'}))};
    check((await bus('labelflight.api.lfsets.put', {dataset: 'long_texts', set})).ok, 'LF set saved');
    // A new query string: a goto that changes only the hash would not reload the page.
    await page.goto(server.base + '/?reconnect#long_texts');
    await lf('re0').waitFor();
    // The test listens next to the page: each event's bar width must be rows done over rows total.
    await page.evaluate(() => {
      window.__events = [];
      const bus = window.labelflight.bus;
      const original = bus.listen.bind(bus);
      bus.listen = (address, handler) => original(address, (s) => {
        handler(s);
        window.__events.push({rowsDone: s.rowsDone, rowsTotal: s.rowsTotal, chunksDone: s.chunksDone,
          chunksTotal: s.chunksTotal, state: s.state, width: document.getElementById('progress-fill').style.width,
          connects: bus.connects});
      });
    });
    await page.getByTestId('run').click();
    await page.waitForFunction(() => window.__events.some((e) => e.state === 'RUNNING' && e.rowsDone > 0), null, {timeout: 60000});
    const cut = await page.evaluate(() => {
      window.__sockets.at(-1).close(); // the connection drops in the middle of the run
      return {rowsDone: window.__events.at(-1).rowsDone, at: new Date().toISOString(),
        job: window.labelflight.state.job.id};
    });
    await page.getByTestId('connection').filter({hasText: 'reconnecting'}).waitFor();
    await page.getByTestId('connection').filter({hasText: /^connected$/}).waitFor();
    await snap('reconnected-mid-run');
    await page.getByTestId('progress-text').filter({hasText: /100% · 19,000 of 19,000 rows · SUCCEEDED/}).waitFor({timeout: 90000});
    const seen = await page.evaluate(() => ({events: window.__events, connects: window.labelflight.bus.connects,
      listening: [...window.labelflight.bus.listeners.keys()]}));
    check(seen.connects >= 2, 'the page reconnected');
    const status = await bus('labelflight.api.job_status', {job: cut.job});
    check(status.ok.finished > cut.at, `the run ended at ${status.ok.finished}, before the cut at ${cut.at}: not mid-run`);
    const after = seen.events.filter((e) => e.connects >= 2);
    console.log(`     (cut at ${cut.rowsDone} of 19,000 rows; ${seen.events.length} progress events, ${after.length} after the reconnect)`);
    for (const e of seen.events) {
      check(Math.abs(parseFloat(e.width) - 100 * e.rowsDone / e.rowsTotal) < 0.06,
          `bar at ${e.width} for ${e.rowsDone} of ${e.rowsTotal} rows (${e.chunksDone}/${e.chunksTotal} chunks)`);
    }
    await snap('run-finished-after-reconnect');
  });

  await step('at 390 px wide the page fits the screen and still works', async () => {
    await page.setViewportSize({width: 390, height: 844});
    await page.goto(server.base + '/?narrow#reviews');
    await lf('kw').waitFor();
    await page.getByTestId('run').click();
    await page.getByTestId('progress-text').filter({hasText: /100% .* SUCCEEDED/}).waitFor();
    await page.getByTestId('lf-chart').locator('canvas').waitFor();
    const overflow = await page.evaluate(() => ({page: document.documentElement.scrollWidth,
      wide: [...document.querySelectorAll('body *')].filter((e) => {
        const r = e.getBoundingClientRect();
        return r.width > 0 && r.right > 391 && !e.closest('.scroll');
      }).slice(0, 5).map((e) => e.tagName + '.' + e.className + '#' + e.id)}));
    check(overflow.page <= 390, `the page is ${overflow.page} px wide: ${overflow.wide}`);
    check(overflow.wide.length === 0, 'elements past the right edge: ' + overflow.wide);
    check(await page.getByTestId('run').isVisible() && await page.getByTestId('dev-start').isVisible(), 'controls reachable');
    await snap('phone-390px');
    await page.setViewportSize({width: 1400, height: 1800});
  });

  await step('the bridge refuses other addresses and oversized messages, then keeps serving', async () => {
    const denied = await bus('labelflight.worker.ready', {worker: 'x'});
    check(denied.error && denied.error.includes('not open to browsers'), 'worker address: ' + JSON.stringify(denied));
    const big = await bus('labelflight.api.datasets', {pad: 'x'.repeat(1100000)});
    check(big.code === 413, 'oversized: ' + JSON.stringify(big).slice(0, 200));
    const after = await bus('labelflight.api.datasets', {});
    check(after.ok && after.ok.datasets.length === 3, 'datasets after refusals: ' + JSON.stringify(after).slice(0, 200));
    const other = await fetch(`${server.base}/api/export/labels/${job}`);
    check(other.status === 401, 'an export without a token: ' + other.status);
  });

  await step('the page fetched nothing beyond its server and raised no script errors', async () => {
    check(foreign.length === 0, 'foreign requests: ' + foreign);
    check(pageErrors.length === 0, 'page errors: ' + pageErrors);
  });
} finally {
  await context.close();
  server.child.kill();
  await new Promise((r) => server.child.once('exit', r));
  if (failed > 0) {
    console.log('--- server log (tail) ---\n' + server.log().split('\n').slice(-40).join('\n'));
  }
  rmSync(work, {recursive: true, force: true});
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed === 0 ? 0 : 1);
