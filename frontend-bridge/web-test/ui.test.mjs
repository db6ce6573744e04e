// Drives the LabelFlight web UI in Debian's Chromium (headless, through playwright-core) against a real
// server started from server/target/labelflight-server.jar (free ports, a temporary data directory) and seeded
// over Flight with DemoUpload. Prints "N passed, N failed"; exits non-zero on any failure.
import {spawn, spawnSync} from 'node:child_process';
import {mkdtempSync, mkdirSync, rmSync} from 'node:fs';
import {createServer} from 'node:net';
import {tmpdir} from 'node:os';
import {join, dirname} from 'node:path';
import {fileURLToPath} from 'node:url';
import {chromium} from 'playwright-core';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const JAR = join(ROOT, 'server/target/labelflight-server.jar');
const SHOTS = join(ROOT, 'frontend-bridge/web-test/target');
const ROWS = 20000;
const STEP_MS = 30000;
// The server runs with its dev user on this token (as bin/serve does with a random one); the page gets it
// from ?token=, the Flight upload from LABELFLIGHT_TOKEN.
const TOKEN = 'web-test-dev-token-' + process.pid;

let passed = 0;
let failed = 0;

async function step(name, body) {
  try {
    await body();
    passed++;
    console.log('ok   ' + name);
  } catch (e) {
    failed++;
    console.log('FAIL ' + name + '\n     ' + String(e && e.stack || e).split('\n').slice(0, 4).join('\n     '));
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
  const child = spawn('java', ['--add-opens=java.base/java.nio=ALL-UNNAMED', '-Dhazelcast.local.localAddress=127.0.0.1',
    '-Xmx512m', '-jar', JAR], {
    cwd: dataDir,
    env: {...process.env, LABELFLIGHT_DATADIR: join(dataDir, 'data'), LABELFLIGHT_FLIGHT_PORT: String(flightPort),
      LABELFLIGHT_HTTP_PORT: String(httpPort), LABELFLIGHT_DEMO_ENABLED: 'false',
      LABELFLIGHT_STORE_CHUNKROWS: '2000', LABELFLIGHT_WORKERS_INSTANCES: '2', LABELFLIGHT_MEMORY_BUDGETMIB: '256',
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
      up = (await fetch(base + '/health')).ok;
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
  return {child, base, log: () => log};
}

const work = mkdtempSync(join(tmpdir(), 'labelflight-ui-'));
mkdirSync(SHOTS, {recursive: true});
const server = await startServer(work);
const context = await chromium.launchPersistentContext(join(work, 'chromium-profile'), {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run'],
  viewport: {width: 1400, height: 1800},
});
context.setDefaultTimeout(STEP_MS);
const page = context.pages()[0] || await context.newPage();
const foreign = [];
page.on('request', (r) => {
  if (!r.url().startsWith(server.base) && !r.url().startsWith('ws://127.0.0.1')) {
    foreign.push(r.url());
  }
});
const pageErrors = [];
page.on('pageerror', (e) => pageErrors.push(String(e)));

const lf = (name) => page.locator(`.lf[data-lf="${name}"]`);
const bus = (address, body) => page.evaluate(([a, b]) => window.labelflight.bus.request(a, b)
    .then((r) => ({ok: r}), (e) => ({error: e.message, code: e.failureCode, type: e.failureType})), [address, body]);

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

  await step('the page lists the dataset uploaded over Flight with its row count and schema', async () => {
    await page.locator('[data-dataset="reviews"]').waitFor();
    const rows = await page.locator('[data-dataset="reviews"] [data-testid="dataset-rows"]').textContent();
    check(rows.includes('20,000 rows'), 'row count shown: ' + rows);
    const schema = await page.locator('[data-testid="schema"]').textContent();
    for (const column of ['text', 'stars', 'gold']) {
      check(schema.includes(column), `schema lacks ${column}: ${schema}`);
    }
  });

  await step('the sample pages through the rows', async () => {
    await page.getByTestId('sample-range').filter({hasText: 'rows 1–20 of 20,000'}).waitFor();
    await page.getByTestId('sample-next').click();
    await page.getByTestId('sample-range').filter({hasText: 'rows 21–40 of 20,000'}).waitFor();
    const first = await page.locator('[data-testid="sample"] tbody tr td').first().textContent();
    check(first === '20', 'first row id on page 2: ' + first);
  });

  await step('a keyword, a regex and a numeric LF are added and saved', async () => {
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
    await page.getByTestId('save-state').filter({hasText: /^saved \d/}).waitFor();
  });

  let job;
  await step('Run shows live progress up to 100%', async () => {
    await page.getByTestId('run').click();
    await page.getByTestId('progress-text').filter({hasText: /100% .* SUCCEEDED/}).waitFor();
    const seen = await page.evaluate(() => {
      const j = window.labelflight.state.job;
      return {id: j.id, events: j.events, firstState: j.firstState};
    });
    job = seen.id;
    check(/^[a-z0-9-]+$/.test(job), 'job id ' + job);
    // Registered before the status request: if the job was still running then, its end came as an event.
    check(seen.firstState !== 'RUNNING' || seen.events > 0, 'no progress event arrived: ' + JSON.stringify(seen));
    console.log(`     (${seen.events} progress events; first status ${seen.firstState})`);
  });

  await step('the LF summary equals the server analysis (or says analysis is not available)', async () => {
    await page.locator('[data-testid="summary-table"], [data-testid="analysis-unavailable"]').first().waitFor();
    const answer = await bus('labelflight.api.analysis', {job, gold: 'gold'});
    if (answer.type === 'NO_HANDLERS') {
      check(await page.getByTestId('analysis-unavailable').isVisible(), 'no unavailable message');
      console.log('     (analysis not merged yet: the page says so)');
      return;
    }
    check(answer.ok, 'analysis failed: ' + answer.error);
    const shown = await page.locator('[data-testid="summary-table"] [data-key="coverage"]').evaluateAll(
        (cells) => cells.map((c) => Number(c.dataset.value)));
    const expected = answer.ok.lfs.map((x) => x.coverage);
    check(JSON.stringify(shown) === JSON.stringify(expected), `coverage shown ${shown} vs analysis ${expected}`);
  });

  await step('coverage per class is drawn and matches the label counts', async () => {
    await page.getByTestId('coverage-bars').waitFor();
    const counts = await bus('labelflight.api.coverage', {job, classes: 2});
    check(counts.ok && counts.ok.rows === ROWS, 'coverage reply ' + JSON.stringify(counts));
    check(counts.ok.perClass[0] > 0 && counts.ok.perClass[1] > 0, 'per class: ' + counts.ok.perClass);
    const text = await page.getByTestId('coverage-bars').textContent();
    for (const n of counts.ok.perClass) {
      check(text.includes(`(${n.toLocaleString('en-US')})`), `count ${n} not shown: ${text}`);
    }
  });

  await step('examples show rows where an LF fires and where two LFs disagree', async () => {
    await page.getByTestId('example-lf').selectOption('regex_1');
    await page.getByTestId('examples-show').click();
    await page.getByTestId('examples-heading').filter({hasText: "where 'regex_1' fires"}).waitFor();
    const texts = await page.locator('[data-testid="examples"] tbody tr').evaluateAll((rows) => rows.map((r) => r.textContent));
    check(texts.length > 0 && texts.every((t) => /https?:\/\//.test(t)), 'example rows without a URL');
    await page.getByTestId('example-lf').selectOption('keyword_1');
    await page.getByTestId('example-other').selectOption('numeric_1');
    await page.getByTestId('examples-show').click();
    await page.getByTestId('examples-heading').filter({hasText: "'keyword_1' and 'numeric_1' disagree"}).waitFor();
    const votes = await page.locator('[data-testid="examples"] tbody tr').evaluateAll(
        (rows) => rows.map((r) => [r.children[1].textContent, r.children[2].textContent]));
    check(votes.length > 0 && votes.every(([a, b]) => a === 'SPAM' && b === 'HAM'), 'conflict votes: ' + JSON.stringify(votes));
  });

  await step('fitting the label model shows class balance and weights (or says it is not available)', async () => {
    await page.getByTestId('fit').click();
    await page.locator('[data-testid="class-balance"], [data-testid="model-unavailable"]').first().waitFor();
    await page.screenshot({path: join(SHOTS, 'web-ui-results.png'), fullPage: true});
  });

  await step('a bad regex is reported next to its LF', async () => {
    await lf('regex_1').locator('[data-field="pattern"]').fill('(unclosed');
    await page.getByTestId('run').click();
    const error = lf('regex_1').getByTestId('lf-error');
    await error.filter({hasText: "LF 'regex_1' (regex)"}).waitFor();
    check((await lf('keyword_1').getByTestId('lf-error').textContent()) === '', 'error shown on the wrong LF');
    await page.screenshot({path: join(SHOTS, 'web-ui-error.png'), fullPage: true});
  });

  await step('a reload keeps the LF set', async () => {
    await page.getByTestId('save-state').filter({hasText: /^saved \d/}).waitFor();
    await page.reload();
    await lf('regex_1').waitFor();
    check(await lf('regex_1').locator('[data-field="pattern"]').inputValue() === '(unclosed', 'pattern lost');
    const keywords = await lf('keyword_1').locator('[data-field="keywords"]').inputValue();
    check(keywords === 'free\nwinner\nclick here', 'keywords lost: ' + keywords);
  });

  await step('the bridge refuses other addresses and oversized messages, then keeps serving', async () => {
    const denied = await bus('labelflight.worker.ready', {worker: 'x'});
    check(denied.error && denied.error.includes('not open to browsers'), 'worker address: ' + JSON.stringify(denied));
    const big = await bus('labelflight.api.datasets', {pad: 'x'.repeat(1100000)});
    check(big.code === 413, 'oversized: ' + JSON.stringify(big).slice(0, 200));
    const after = await bus('labelflight.api.datasets', {});
    check(after.ok && after.ok.datasets.length === 1, 'datasets after refusals: ' + JSON.stringify(after));
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
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
