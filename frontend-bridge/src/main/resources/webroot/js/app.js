// The LabelFlight page: datasets, a paged sample, the LF editor (an LF set shared with the Python client,
// versioned), runs with live progress, the LF summary and charts, the label model, error analysis, search,
// hand labelling and file transfer; everything over the event-bus bridge except files (HTTP).
import {connect} from './bus.js';
import {API, DEV_GOLD, goldOptions} from './api.js';
import {el, fill, table, percent, count, cell} from './dom.js';
import {KINDS, newLf, lfForm} from './lf-forms.js';
import {barChart} from './charts.js';
import * as review from './review.js';
import * as search from './search.js';
import * as devset from './devset.js';
import * as transfer from './transfer.js';
import * as model from './model.js';

const PAGE = 20;
const SAVE_DELAY_MS = 400;
const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);

const state = {
  datasets: [],
  dataset: null, // the selected dataset's description
  offset: 0,
  set: {labels: ['HAM', 'SPAM'], lfs: [], gold: null, version: 0},
  errors: new Map(), // LF name -> message from the server
  job: null, // the run in progress or last started: {id, labels, lfs, specs, gold, state, stop}
  results: null, // the last run that succeeded: {id, dataset, version, labels, lfs, specs, gold}
  saveTimer: null,
  dirty: false, // edits not sent to the server yet
  conflict: null, // a newer version saved elsewhere while we edited
};

const bus = connect();
// For tests and the console: the page's own bus and state.
window.labelflight = {bus, state};

const app = {bus, state, showError, addLf: addLfSpec, loadDatasets, selectDataset, refreshLabelDistribution};

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
bus.onstatus = (s) => {
  fill('connection', s === 'connected' ? 'connected' : s === 'reconnecting' ? 'connection lost — reconnecting…' : 'disconnected');
  document.getElementById('connection').dataset.state = s;
};
bus.onerror = (e) => fill('bus-error', e.message);
// After a dropped connection: progress listeners are registered again by the bus; catch up on the run.
bus.onreconnect(() => {
  fill('bus-error');
  const job = state.job;
  if (job && !TERMINAL.has(job.state)) {
    bus.requestAgain(API.status, {job: job.id}).then((s) => onStatus(job, s), (e) => fill('run-error', e.message));
  }
});

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

// ---- datasets and sample ----

async function loadDatasets(select) {
  try {
    const reply = await bus.requestAgain(API.datasets, {});
    state.datasets = reply.datasets;
    const wanted = select || decodeURIComponent(location.hash.slice(1));
    const pick = state.datasets.find((d) => d.name === wanted) || state.datasets[0];
    renderDatasets();
    if (pick) {
      await selectDataset(pick.name);
    } else {
      fill('sample', el('span', {class: 'muted'}, 'No datasets yet: upload a CSV file, or one from Python or Flight.'));
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
      `${count(d.rows)} rows · v${d.version} · ${d.fields.length} columns`))));
}

async function selectDataset(name) {
  state.dataset = state.datasets.find((d) => d.name === name);
  history.replaceState(null, '', '#' + encodeURIComponent(name));
  state.offset = 0;
  state.errors.clear();
  state.results = null;
  renderDatasets();
  fill('schema', table(['column', 'type'], state.dataset.fields.map((f) => [f.name, f.type + (f.nullable ? '?' : '')]),
      {'data-testid': 'schema'}));
  await Promise.all([loadSample(), loadLfSet()]);
  search.datasetChanged(app);
  devset.datasetChanged(app);
  review.datasetChanged(app);
}

async function loadSample() {
  const d = state.dataset;
  try {
    const page = await bus.requestAgain(API.sample, {dataset: d.name, version: d.version, offset: state.offset, limit: PAGE});
    const columns = ['#', ...page.fields.map((f) => f.name)];
    fill('sample', table(columns, page.rows.map((r) => [r._row, ...page.fields.map((f) => cell(r[f.name]))])));
    const last = page.offset + page.rows.length;
    fill('sample-range', page.rows.length ? `rows ${page.offset + 1}–${last} of ${count(page.total)}` : 'no rows');
    document.getElementById('sample-prev').disabled = page.offset === 0;
    document.getElementById('sample-next').disabled = last >= page.total;
  } catch (e) {
    fill('sample', el('span', {class: 'error'}, e.message));
  }
}

// ---- LF set: label space, gold, LFs; saved on the server as versions, shared with Python ----

function adopt(set) {
  const d = state.dataset;
  const gold = d.fields.some((f) => f.name === 'gold') ? 'gold' : null;
  state.set = set ? {labels: set.labels, lfs: set.lfs, gold: set.gold ?? null, version: set.version, user: set.user,
    source: set.source, saved: set.saved} : {labels: ['HAM', 'SPAM'], lfs: [], gold, version: 0};
  state.conflict = null;
  document.getElementById('lfset-notice').hidden = true;
  renderLabels();
  renderLfs();
  showSaved();
}

function showSaved() {
  const s = state.set;
  fill('save-state', s.version ? `version ${s.version} · saved ${new Date(s.saved).toLocaleTimeString()}`
    + (s.user ? ` by ${s.user}` : '') + (s.source ? ` (${s.source})` : '') : 'new LF set');
}

async function loadLfSet() {
  try {
    const reply = await bus.requestAgain(API.lfsetGet, {dataset: state.dataset.name});
    adopt(reply.set);
  } catch (e) {
    adopt(null);
    fill('save-state', el('span', {class: 'error'}, 'cannot load the saved LF set: ' + e.message));
  }
  loadHistory();
}

/** Another client (Python) may have saved a newer version: take it when we have nothing unsaved. */
async function checkForNewerSet() {
  if (!state.dataset || !bus.token) {
    return;
  }
  try {
    const reply = await bus.request(API.lfsetGet, {dataset: state.dataset.name});
    const set = reply.set;
    if (set && set.version > (state.set.version || 0)) {
      if (state.dirty) {
        showConflict(set);
        return;
      }
      adopt(set);
      notice(`Loaded version ${set.version}, saved by ${set.user || 'anonymous'} (${set.source || '?'}) at `
        + new Date(set.saved).toLocaleTimeString() + '.');
      loadHistory();
    }
  } catch (e) {
    // a failed refresh changes nothing; the next save reports problems
  }
}

function notice(text, ...actions) {
  const box = fill('lfset-notice', el('span', {}, text), ...actions);
  box.hidden = false;
}

function showConflict(newer) {
  state.conflict = newer;
  notice(`The LF set changed elsewhere: version ${newer.version} was saved by ${newer.user || 'anonymous'} `
    + `(${newer.source || '?'}) at ${new Date(newer.saved).toLocaleTimeString()}. Your edits are not saved. `,
  el('button', {'data-testid': 'conflict-load', onclick: () => { adopt(newer); loadHistory(); }}, 'Load their version'),
  el('button', {'data-testid': 'conflict-keep', onclick: () => { state.set.version = newer.version; save(); }},
      'Save mine over it'));
}

function scheduleSave() {
  clearTimeout(state.saveTimer);
  state.dirty = true;
  state.edits = (state.edits || 0) + 1;
  fill('save-state', 'unsaved changes…');
  state.saveTimer = setTimeout(save, SAVE_DELAY_MS);
}

// Saves go one after the other: each names the version the previous one made as its base.
let saving = Promise.resolve();

function save() {
  clearTimeout(state.saveTimer);
  saving = saving.then(saveNow, saveNow);
  return saving;
}

async function saveNow() {
  const d = state.dataset;
  const {labels, lfs, gold} = state.set;
  const edits = state.edits;
  try {
    const reply = await bus.request(API.lfsetPut, {dataset: d.name, source: 'page', baseVersion: state.set.version || 0,
      set: {labels, lfs, gold}});
    if (state.edits === edits) {
      state.dirty = false;
    }
    Object.assign(state.set, {version: reply.set.version, user: reply.set.user, source: reply.set.source, saved: reply.set.saved});
    showSaved();
    loadHistory();
  } catch (e) {
    if (e.failureCode === 409) {
      const current = await bus.request(API.lfsetGet, {dataset: d.name}).catch(() => null);
      if (current && current.set) {
        showConflict(current.set);
      }
      fill('save-state', el('span', {class: 'error', 'data-testid': 'save-error'}, 'not saved: changed elsewhere'));
      return;
    }
    fill('save-state', el('span', {class: 'error', 'data-testid': 'save-error'}, 'not saved: ' + e.message));
  }
}

async function loadHistory() {
  if (!document.getElementById('history-box').open || !state.dataset) {
    return;
  }
  try {
    const h = await bus.request(API.lfsetHistory, {dataset: state.dataset.name, limit: 20});
    const changes = (c) => [c.created ? 'created' : '', c.added ? 'added ' + c.added.join(', ') : '',
      c.changed ? 'changed ' + c.changed.join(', ') : '', c.removed ? 'removed ' + c.removed.join(', ') : '',
      c.labels ? 'label space' : '', c.gold ? 'gold' : ''].filter(Boolean).join('; ') || 'no change';
    fill('history', table(['version', 'saved', 'by', 'from', 'what changed'], h.versions.map((v) => [v.version,
      new Date(v.saved).toLocaleString(), v.user || 'anonymous', v.source || '?', changes(v.changes || {})]),
    {'data-testid': 'history-table'}));
  } catch (e) {
    fill('history', el('span', {class: 'error'}, e.message));
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
      el('option', {value: DEV_GOLD, selected: state.set.gold === DEV_GOLD}, 'dev set (hand labels)'),
      ...goldOptions(state.dataset.fields).map((name) => el('option', {value: name, selected: name === state.set.gold}, name)));
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

function freeName(prefix) {
  const taken = new Set(state.set.lfs.map((lf) => lf.name));
  let n = 1;
  while (taken.has(`${prefix}_${n}`)) {
    n++;
  }
  return `${prefix}_${n}`;
}

function addLf(kind) {
  state.set.lfs.push(newLf(kind, freeName(kind), state.dataset.fields, state.set.labels));
  renderLfs();
  scheduleSave();
}

/** Adds a finished LF spec (from search) under a free name; returns the name. */
function addLfSpec(spec) {
  const name = spec.name && !state.set.lfs.some((lf) => lf.name === spec.name) ? spec.name : freeName(spec.kind);
  state.set.lfs.push({...spec, name});
  renderLfs();
  scheduleSave();
  return name;
}

// ---- running: apply, progress events (rows), then analysis, charts, coverage ----

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
  const specs = JSON.parse(JSON.stringify(state.set.lfs));
  setProgress(0, 'submitting…');
  document.getElementById('run').disabled = true;
  // The results of the last good run stay on the page until this one succeeds.
  try {
    const reply = await bus.request(API.apply, {dataset: d.name, version: d.version, labels, lfs: specs});
    const job = {id: reply.job, dataset: d.name, version: d.version, labels, specs, lfs: specs.map((lf) => lf.name),
      state: 'RUNNING', gold: state.set.gold, events: 0};
    state.job = job;
    document.getElementById('cancel').disabled = false;
    job.stop = bus.listen('labelflight.job.' + job.id, (status) => {
      job.events++;
      onStatus(job, status);
    });
    // The job may have ended before the listener was registered: ask once.
    const first = await bus.requestAgain(API.status, {job: job.id});
    job.firstState = first.state;
    onStatus(job, first);
  } catch (e) {
    setProgress(0, 'not started');
    showError(e, 'run-error');
    keptNotice();
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
  // Rows, not chunks: chunks differ in size, the last one most.
  const fraction = s.rowsTotal === 0 ? 1 : s.rowsDone / s.rowsTotal;
  job.rowsDone = s.rowsDone;
  setProgress(fraction, `${Math.floor(100 * fraction)}% · ${count(s.rowsDone)} of ${count(s.rowsTotal)} rows · ${s.state}`
      + (s.elapsedMillis !== undefined ? ` in ${s.elapsedMillis} ms` : '')
      + Object.entries(s.faults || {}).map(([lf, n]) => ` · ${lf}: ${count(n)} faults`).join(''));
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
    keptNotice();
  }
}

/** After a failed run: say whose results the page still shows. */
function keptNotice() {
  if (state.results) {
    fill('results-of', `(from the last good run, job ${state.results.id}; the latest run failed)`);
  }
}

function jobDone(job) {
  state.results = job;
  fill('results-of', `(job ${job.id})`);
  loadSummary(job);
  refreshLabelDistribution();
  model.jobChanged(app);
  review.jobChanged(app);
}

async function loadSummary(job) {
  fill('summary', el('span', {class: 'muted'}, 'analysing…'));
  fill('lf-charts');
  try {
    let a;
    let goldNote = '';
    try {
      a = await bus.requestAgain(API.analysis, job.gold ? {job: job.id, gold: job.gold} : {job: job.id});
    } catch (e) {
      if (job.gold !== DEV_GOLD || !/dev set .* is empty/.test(e.message)) {
        throw e;
      }
      a = await bus.requestAgain(API.analysis, {job: job.id});
      goldNote = ' · the dev set is empty: label rows below for accuracy';
    }
    if (state.results !== job) {
      return;
    }
    const hasGold = a.lfs.some((lf) => lf.emp_acc !== undefined && lf.emp_acc !== null);
    const num = (v, key) => el('span', {'data-value': v, 'data-key': key}, percent(v));
    const columns = ['LF', 'polarity', 'coverage', 'overlaps', 'conflicts', ...(hasGold ? ['correct', 'incorrect', 'emp. accuracy'] : [])];
    const rows = a.lfs.map((lf) => [lf.name, lf.polarity.map((c) => job.labels[c] ?? c).join(', ') || '—',
      num(lf.coverage, 'coverage'), num(lf.overlaps, 'overlaps'), num(lf.conflicts, 'conflicts'),
      ...(hasGold ? [lf.correct ?? '', lf.incorrect ?? '', lf.emp_acc === undefined || lf.emp_acc === null ? '' : percent(lf.emp_acc)] : [])]);
    fill('summary', table(columns, rows, {'data-testid': 'summary-table'}),
        el('div', {class: 'muted'}, `${count(a.rows)} rows` + (job.gold === DEV_GOLD && !goldNote ? ' of the dev set' : '')
          + ` · all LFs: coverage ${percent(a.totals.coverage)}, overlap ${percent(a.totals.overlap)}, conflict ${percent(a.totals.conflict)}`
          + (hasGold ? '' : ' · no gold: accuracy not shown') + goldNote));
    const series = [{label: 'coverage', values: a.lfs.map((lf) => lf.coverage)},
      {label: 'conflicts', values: a.lfs.map((lf) => lf.conflicts)}];
    if (hasGold) {
      series.push({label: 'accuracy', values: a.lfs.map((lf) => (lf.emp_acc === undefined ? null : lf.emp_acc))});
    }
    fill('lf-charts', barChart({title: 'Per LF: coverage, conflicts' + (hasGold ? ', accuracy on gold' : ''),
      categories: a.lfs.map((lf) => lf.name), series, yMax: 1, percent: true, testid: 'lf-chart'}));
  } catch (e) {
    showError(e, 'summary');
  }
}

/** The label distribution chart: rows voted per class, the dev set's classes, the model's predictions. */
async function refreshLabelDistribution() {
  const job = state.results;
  if (!job) {
    return;
  }
  try {
    const c = await bus.requestAgain(API.coverage, {job: job.id, classes: job.labels.length});
    const dev = await bus.requestAgain(API.devGet, {dataset: job.dataset, version: job.version}).catch(() => null);
    const series = [{label: 'rows with a vote', values: job.labels.map((_, i) => (c.rows ? c.perClass[i] / c.rows : 0))}];
    if (dev && dev.count > 0) {
      series.push({label: 'dev set', values: job.labels.map((l) => (dev.perClass[l] || 0) / dev.count)});
    }
    const shares = model.predictedShares(app);
    if (shares) {
      series.push({label: 'model predicts', values: shares});
    }
    fill('coverage', barChart({title: 'Share of rows per class', categories: job.labels, series, yMax: 1, percent: true,
      testid: 'class-chart'}),
    el('div', {class: 'muted', 'data-testid': 'coverage-counts'}, job.labels.map((l, i) => `${l}: ${count(c.perClass[i])}`).join(' · ')
      + ` · any label: ${percent(c.rows ? c.covered / c.rows : 0)} · votes for 2+ classes: `
      + `${percent(c.rows ? c.conflicted / c.rows : 0)} of ${count(c.rows)} rows`));
  } catch (e) {
    fill('coverage', el('span', {class: 'error'}, e.message));
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
document.getElementById('history-box').addEventListener('toggle', loadHistory);
window.addEventListener('focus', checkForNewerSet);
document.addEventListener('visibilitychange', () => document.visibilityState === 'visible' && checkForNewerSet());

// Leaving within the save delay: send the pending save now (the socket still delivers it).
window.addEventListener('pagehide', () => {
  if (state.dirty) {
    save();
  }
});

review.init(app);
search.init(app);
devset.init(app);
transfer.init(app);
model.init(app);
bus.ready.then(() => loadDatasets());
