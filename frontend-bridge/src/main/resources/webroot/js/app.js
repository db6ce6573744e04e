// The LabelFlight page: datasets, a paged sample, the LF editor, runs with live progress, the LF
// summary, coverage per class, example rows and the label model; everything over the event-bus bridge.
import {connect} from './eventbus.js';
import {el, fill, table, percent, bars} from './dom.js';
import {KINDS, newLf, lfForm} from './lf-forms.js';

const API = {
  apply: 'labelflight.api.apply',
  status: 'labelflight.api.job_status',
  cancel: 'labelflight.api.cancel',
  analysis: 'labelflight.api.analysis',
  fit: 'labelflight.api.fit_label_model',
  datasets: 'labelflight.api.datasets',
  sample: 'labelflight.api.sample',
  lfsetGet: 'labelflight.api.lfsets.get',
  lfsetPut: 'labelflight.api.lfsets.put',
  examples: 'labelflight.api.examples',
  coverage: 'labelflight.api.coverage',
};
const PAGE = 20;
const SAVE_DELAY_MS = 400;
const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);

const state = {
  datasets: [],
  dataset: null, // the selected dataset's description
  offset: 0,
  set: {labels: ['HAM', 'SPAM'], lfs: [], gold: null},
  errors: new Map(), // LF name -> message from the server
  job: null, // {id, dataset, labels, lfs, state, stop}
  saveTimer: null,
  dirty: false, // edits not sent to the server yet
};

const bus = connect();
// For tests and the console: the page's own bus.
window.labelflight = {bus, state};

// ---- sign-in: the user's API token, from ?token= (then removed from the address bar) or typed in ----

const TOKEN_KEY = 'labelflight.token';

function takeToken() {
  const url = new URL(location.href);
  const given = url.searchParams.get('token');
  if (given) {
    sessionStorage.setItem(TOKEN_KEY, given);
    url.searchParams.delete('token');
    history.replaceState(null, '', url.pathname + url.search + url.hash);
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

function showSignedIn(signedIn, message) {
  fill('login-state', message || (signedIn ? 'signed in' : 'not signed in'));
  document.getElementById('token').hidden = signedIn;
  document.querySelector('#login button').textContent = signedIn ? 'Sign out' : 'Sign in';
}

/** A request refused for want of a valid token: forget it and ask for one. */
function unauthenticated(error) {
  if (error.failureCode !== 401) {
    return false;
  }
  sessionStorage.removeItem(TOKEN_KEY);
  bus.token = null;
  showSignedIn(false, error.message.replace(/^refused by the bridge: /, ''));
  document.getElementById('token').focus();
  return true;
}

bus.token = takeToken();
showSignedIn(Boolean(bus.token));
document.getElementById('login').onsubmit = (e) => {
  e.preventDefault();
  if (bus.token) {
    sessionStorage.removeItem(TOKEN_KEY);
    bus.token = null;
    showSignedIn(false);
    return;
  }
  const input = document.getElementById('token');
  const token = input.value.trim();
  if (token) {
    sessionStorage.setItem(TOKEN_KEY, token);
    bus.token = token;
    input.value = '';
    showSignedIn(true);
    loadDatasets();
  }
};
bus.onstatus = (s) => fill('connection', s === 'connected' ? 'connected' : 'disconnected — reload to reconnect');
bus.onerror = (e) => fill('bus-error', e.message);

/** Shows a server error: next to the LF it names, else in {@code fallbackId}. */
function showError(error, fallbackId) {
  const named = /LF '([^']+)'/.exec(error.message || '');
  if (named && state.set.lfs.some((lf) => lf.name === named[1])) {
    state.errors.set(named[1], error.message);
    renderLfs();
    fill(fallbackId, `LF '${named[1]}' has an error (shown next to it).`);
  } else {
    fill(fallbackId, error.message || String(error));
  }
}

const unavailable = (error) => error.failureType === 'NO_HANDLERS';

// ---- datasets and sample ----

async function loadDatasets() {
  try {
    const reply = await bus.request(API.datasets, {});
    state.datasets = reply.datasets;
    const wanted = decodeURIComponent(location.hash.slice(1));
    const pick = state.datasets.find((d) => d.name === wanted) || state.datasets[0];
    renderDatasets();
    if (pick) {
      await selectDataset(pick.name);
    } else {
      fill('sample', el('span', {class: 'muted'}, 'No datasets yet: upload one with the Python client or Flight DoPut.'));
    }
  } catch (e) {
    unauthenticated(e);
    fill('datasets', el('span', {class: 'error'}, e.message));
  }
}

function renderDatasets() {
  fill('datasets', state.datasets.map((d) => el('div', {
    class: 'dataset' + (state.dataset && state.dataset.name === d.name ? ' selected' : ''),
    'data-dataset': d.name, onclick: () => selectDataset(d.name)},
  el('div', {class: 'name'}, d.name),
  el('div', {class: 'muted', 'data-testid': 'dataset-rows'},
      `${d.rows.toLocaleString('en-US')} rows · v${d.version} · ${d.fields.length} columns`))));
}

async function selectDataset(name) {
  state.dataset = state.datasets.find((d) => d.name === name);
  history.replaceState(null, '', '#' + encodeURIComponent(name));
  state.offset = 0;
  state.errors.clear();
  renderDatasets();
  fill('schema', table(['column', 'type'], state.dataset.fields.map((f) => [f.name, f.type + (f.nullable ? '?' : '')]),
      {'data-testid': 'schema'}));
  await Promise.all([loadSample(), loadLfSet()]);
}

async function loadSample() {
  const d = state.dataset;
  try {
    const page = await bus.request(API.sample, {dataset: d.name, version: d.version, offset: state.offset, limit: PAGE});
    const columns = ['#', ...page.fields.map((f) => f.name)];
    fill('sample', table(columns, page.rows.map((r) => [r._row, ...page.fields.map((f) => cell(r[f.name]))])));
    const last = page.offset + page.rows.length;
    fill('sample-range', page.rows.length ? `rows ${page.offset + 1}–${last} of ${page.total.toLocaleString('en-US')}` : 'no rows');
    document.getElementById('sample-prev').disabled = page.offset === 0;
    document.getElementById('sample-next').disabled = last >= page.total;
  } catch (e) {
    fill('sample', el('span', {class: 'error'}, e.message));
  }
}

function cell(value) {
  if (value === null || value === undefined) {
    return el('span', {class: 'muted'}, 'null');
  }
  return Array.isArray(value) ? '[' + value.map((x) => +(+x).toFixed(3)).join(', ') + ']' : String(value);
}

// ---- LF set: label space, gold column, LFs; saved on the server ----

async function loadLfSet() {
  const d = state.dataset;
  try {
    const reply = await bus.request(API.lfsetGet, {dataset: d.name});
    const gold = d.fields.some((f) => f.name === 'gold') ? 'gold' : null;
    state.set = reply.set ? {labels: reply.set.labels, lfs: reply.set.lfs, gold: reply.set.gold ?? null}
      : {labels: ['HAM', 'SPAM'], lfs: [], gold};
    fill('save-state', reply.set ? `saved ${new Date(reply.set.saved).toLocaleTimeString()}` : 'new LF set');
  } catch (e) {
    fill('save-state', el('span', {class: 'error'}, 'cannot load the saved LF set: ' + e.message));
  }
  renderLabels();
  renderLfs();
}

function scheduleSave() {
  clearTimeout(state.saveTimer);
  state.dirty = true;
  fill('save-state', 'unsaved changes…');
  state.saveTimer = setTimeout(save, SAVE_DELAY_MS);
}

async function save() {
  clearTimeout(state.saveTimer);
  state.dirty = false;
  const d = state.dataset;
  try {
    const reply = await bus.request(API.lfsetPut, {dataset: d.name, set: state.set});
    fill('save-state', `saved ${new Date(reply.set.saved).toLocaleTimeString()}`);
  } catch (e) {
    fill('save-state', el('span', {class: 'error', 'data-testid': 'save-error'}, 'not saved: ' + e.message));
  }
}

function renderLabels() {
  fill('labels', state.set.labels.map((label, i) => el('span', {class: 'chip', 'data-label': label}, label,
      el('button', {class: 'link', title: 'remove class', onclick: () => {
        state.set.labels.splice(i, 1);
        renderLabels(); renderLfs(); scheduleSave();
      }}, '✕'))));
  const gold = document.getElementById('gold');
  gold.replaceChildren(el('option', {value: ''}, '(none)'),
      ...state.dataset.fields.filter((f) => /^int/.test(f.type))
          .map((f) => el('option', {value: f.name, selected: f.name === state.set.gold}, f.name)));
}

function renderLfs() {
  const fields = state.dataset ? state.dataset.fields : [];
  fill('lfs', state.set.lfs.length === 0 ? el('span', {class: 'muted'}, 'No LFs yet: add one below.') : null,
      state.set.lfs.map((lf) => lfForm(lf, {
        fields, labels: state.set.labels, error: state.errors.get(lf.name),
        onchange: scheduleSave, rerender: renderLfs,
        onremove: (gone) => {
          state.set.lfs = state.set.lfs.filter((x) => x !== gone);
          renderLfs(); scheduleSave();
        },
      })));
}

function addLf(kind) {
  const taken = new Set(state.set.lfs.map((lf) => lf.name));
  let n = 1;
  while (taken.has(`${kind}_${n}`)) {
    n++;
  }
  state.set.lfs.push(newLf(kind, `${kind}_${n}`, state.dataset.fields, state.set.labels));
  renderLfs();
  scheduleSave();
}

// ---- running: apply, progress events, then analysis, coverage, examples ----

function checkLocally() {
  const names = new Set();
  for (const lf of state.set.lfs) {
    if (!lf.name) {
      return 'every LF needs a name';
    }
    if (names.has(lf.name)) {
      return `two LFs are named '${lf.name}'`;
    }
    names.add(lf.name);
  }
  return state.set.lfs.length === 0 ? 'add at least one LF first' : null;
}

async function run() {
  fill('run-error');
  state.errors.clear();
  renderLfs();
  const problem = checkLocally();
  if (problem) {
    fill('run-error', problem);
    return;
  }
  if (state.job && state.job.stop) {
    state.job.stop();
  }
  const d = state.dataset;
  const labels = [...state.set.labels];
  const lfs = JSON.parse(JSON.stringify(state.set.lfs));
  setProgress(0, 'submitting…');
  // Results of an earlier run must not pass for this one's.
  fill('summary', el('span', {class: 'muted'}, 'waiting for the run…'));
  fill('coverage');
  fill('examples');
  fill('model');
  document.getElementById('fit').disabled = true;
  document.getElementById('examples-show').disabled = true;
  document.getElementById('run').disabled = true;
  try {
    const reply = await bus.request(API.apply, {dataset: d.name, version: d.version, labels, lfs});
    const job = {id: reply.job, dataset: d.name, labels, lfs: lfs.map((lf) => lf.name), state: 'RUNNING', gold: state.set.gold};
    state.job = job;
    document.getElementById('cancel').disabled = false;
    job.events = 0;
    job.stop = bus.listen('labelflight.job.' + job.id, (status) => {
      job.events++;
      onStatus(job, status);
    });
    // The job may have ended before the listener was registered: ask once.
    const first = await bus.request(API.status, {job: job.id});
    job.firstState = first.state;
    onStatus(job, first);
  } catch (e) {
    setProgress(0, 'not started');
    fill('summary', el('span', {class: 'muted'}, 'The run did not start: see the error above.'));
    showError(e, 'run-error');
  } finally {
    document.getElementById('run').disabled = false;
  }
}

function setProgress(fraction, text) {
  document.getElementById('progress-fill').style.width = (100 * fraction).toFixed(1) + '%';
  fill('progress-text', text);
}

function onStatus(job, s) {
  if (state.job !== job || TERMINAL.has(job.state)) {
    return;
  }
  const fraction = s.chunksTotal === 0 ? 1 : s.chunksDone / s.chunksTotal;
  setProgress(fraction, `${Math.floor(100 * fraction)}% · ${s.rowsDone.toLocaleString('en-US')} of ${s.rowsTotal.toLocaleString('en-US')} rows · ${s.state}`
      + (s.elapsedMillis !== undefined ? ` in ${s.elapsedMillis} ms` : '')
      // Rows fault-tolerant LFs failed on (and abstained), by LF.
      + Object.entries(s.faults || {}).map(([lf, n]) => ` · ${lf}: ${n.toLocaleString('en-US')} faults`).join(''));
  if (!TERMINAL.has(s.state)) {
    return;
  }
  job.state = s.state;
  job.stop();
  document.getElementById('cancel').disabled = true;
  if (s.state === 'SUCCEEDED') {
    jobDone(job);
  } else {
    showError(new Error(`job ${s.state.toLowerCase()}: ${s.error || ''}`), 'run-error');
  }
}

function jobDone(job) {
  document.getElementById('fit').disabled = false;
  document.getElementById('examples-show').disabled = false;
  const lfOptions = job.lfs.map((name) => el('option', {value: name}, name));
  document.getElementById('example-lf').replaceChildren(...lfOptions);
  document.getElementById('example-other').replaceChildren(el('option', {value: ''}, '— (rows where it fires)'),
      ...job.lfs.map((name) => el('option', {value: name}, name)));
  loadSummary(job);
  loadCoverage(job);
}

async function loadSummary(job) {
  fill('summary', el('span', {class: 'muted'}, 'analysing…'));
  try {
    const body = {job: job.id};
    if (job.gold) {
      body.gold = job.gold;
    }
    const a = await bus.request(API.analysis, body);
    const hasGold = a.lfs.some((lf) => lf.emp_acc !== undefined && lf.emp_acc !== null);
    const num = (v, key) => el('span', {'data-value': v, 'data-key': key}, percent(v));
    const columns = ['LF', 'polarity', 'coverage', 'overlaps', 'conflicts', ...(hasGold ? ['correct', 'incorrect', 'emp. accuracy'] : [])];
    const rows = a.lfs.map((lf) => [lf.name, lf.polarity.map((c) => job.labels[c] ?? c).join(', ') || '—',
      num(lf.coverage, 'coverage'), num(lf.overlaps, 'overlaps'), num(lf.conflicts, 'conflicts'),
      ...(hasGold ? [lf.correct ?? '', lf.incorrect ?? '', lf.emp_acc === undefined || lf.emp_acc === null ? '' : percent(lf.emp_acc)] : [])]);
    fill('summary', table(columns, rows, {'data-testid': 'summary-table'}),
        el('div', {class: 'muted'}, `${a.rows.toLocaleString('en-US')} rows · all LFs: coverage ${percent(a.totals.coverage)}, `
          + `overlap ${percent(a.totals.overlap)}, conflict ${percent(a.totals.conflict)}`
          + (hasGold ? '' : ' · no gold column: accuracy not shown')));
  } catch (e) {
    if (unavailable(e)) {
      fill('summary', el('div', {class: 'notice', 'data-testid': 'analysis-unavailable'},
          'LF analysis is not available on this server yet (no service answers labelflight.api.analysis).'));
    } else {
      showError(e, 'summary');
    }
  }
}

async function loadCoverage(job) {
  try {
    const c = await bus.request(API.coverage, {job: job.id, classes: job.labels.length});
    const items = job.labels.map((label, i) => ({label, value: c.rows ? c.perClass[i] / c.rows : 0,
      text: `${percent(c.rows ? c.perClass[i] / c.rows : 0)} (${c.perClass[i].toLocaleString('en-US')})`}));
    fill('coverage', bars(items, {'data-testid': 'coverage-bars'}),
        el('div', {class: 'muted'}, `any label: ${percent(c.rows ? c.covered / c.rows : 0)} · `
          + `votes for 2+ classes: ${percent(c.rows ? c.conflicted / c.rows : 0)} of ${c.rows.toLocaleString('en-US')} rows`));
  } catch (e) {
    fill('coverage', el('span', {class: 'error'}, e.message));
  }
}

async function showExamples() {
  const job = state.job;
  const lf = document.getElementById('example-lf').value;
  const other = document.getElementById('example-other').value || undefined;
  if (other === lf) {
    fill('examples', el('span', {class: 'error'}, 'choose two different LFs to see conflicts'));
    return;
  }
  fill('examples', el('span', {class: 'muted'}, 'searching…'));
  try {
    const r = await bus.request(API.examples, {job: job.id, lf, other, limit: 20});
    const voters = other ? [lf, other] : [lf];
    const fields = state.dataset.fields.map((f) => f.name);
    const heading = `${r.matches.toLocaleString('en-US')} rows where ` + (other ? `'${lf}' and '${other}' disagree` : `'${lf}' fires`)
      + (r.examples.length < r.matches ? ` (first ${r.examples.length} shown)` : '');
    fill('examples', el('div', {class: 'muted', 'data-testid': 'examples-heading'}, heading),
        table(['row', ...voters.map((v) => 'vote ' + v), ...fields],
            r.examples.map((x) => [x.row_id, ...voters.map((v) => job.labels[x.votes[v]] ?? x.votes[v]),
              ...fields.map((f) => cell(x.row[f]))])));
  } catch (e) {
    fill('examples', el('span', {class: 'error'}, e.message));
  }
}

async function fitModel() {
  const job = state.job;
  const model = document.getElementById('model-kind').value;
  fill('model', el('span', {class: 'muted'}, 'fitting…'));
  try {
    const body = {job: job.id, model};
    if (model === 'majority') {
      body.tiePolicy = 'abstain';
    }
    const m = await bus.request(API.fit, body);
    const classes = m.classes || job.labels;
    fill('model',
        el('div', {class: 'muted'}, `model ${m.model} (${m.kind})`),
        el('h3', {}, 'Class balance'),
        bars(classes.map((c, i) => ({label: c, value: m.classBalance[i], text: percent(m.classBalance[i])})), {'data-testid': 'class-balance'}),
        el('h3', {}, 'LF weights'),
        table(['LF', 'weight'], job.lfs.map((name, i) => [name, m.weights[i] === undefined ? '' : (+m.weights[i]).toFixed(3)]),
            {'data-testid': 'lf-weights'}));
  } catch (e) {
    fill('model', unavailable(e)
      ? el('div', {class: 'notice', 'data-testid': 'model-unavailable'},
          'Label models are not available on this server yet (no service answers labelflight.api.fit_label_model).')
      : el('span', {class: 'error'}, e.message));
  }
}

// ---- wiring ----

document.getElementById('new-kind').replaceChildren(...KINDS.map((k) => el('option', {value: k}, k)));
document.getElementById('add-lf').onclick = () => addLf(document.getElementById('new-kind').value);
document.getElementById('add-label').onclick = () => {
  const input = document.getElementById('new-label');
  const name = input.value.trim();
  if (name && !state.set.labels.includes(name)) {
    state.set.labels.push(name);
    input.value = '';
    renderLabels(); renderLfs(); scheduleSave();
  }
};
document.getElementById('gold').onchange = (e) => {
  state.set.gold = e.target.value || null;
  scheduleSave();
};
document.getElementById('sample-prev').onclick = () => { state.offset = Math.max(0, state.offset - PAGE); loadSample(); };
document.getElementById('sample-next').onclick = () => { state.offset += PAGE; loadSample(); };
document.getElementById('run').onclick = run;
document.getElementById('cancel').onclick = () => state.job && bus.request(API.cancel, {job: state.job.id}).catch((e) => fill('run-error', e.message));
document.getElementById('fit').onclick = fitModel;
document.getElementById('examples-show').onclick = showExamples;

// Leaving within the save delay: send the pending save now (the socket still delivers it).
window.addEventListener('pagehide', () => {
  if (state.dirty) {
    save();
  }
});

bus.ready.then(loadDatasets, (e) => fill('bus-error', e.message));
