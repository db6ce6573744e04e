// Hand labelling a dev set, row by row with the keyboard: the server offers the rows in a fixed shuffled
// order (labelflight.api.devset.next), each label is saved as it is given (devset.put), and the dev set is
// gold ("@dev") for analysis, search and label-model selection, here and in Python.
import {API, isText} from './api.js';
import {el, fill, count, cell} from './dom.js';

let app;
let position = 0;
let current = null; // {position, row_id, row, label}
const previous = []; // positions shown before, for going back

export function init(a) {
  app = a;
  document.getElementById('dev-start').onclick = () => {
    position = 0;
    previous.length = 0;
    next(0);
  };
  document.getElementById('dev-card').addEventListener('keydown', onKey);
}

export function datasetChanged() {
  current = null;
  document.getElementById('dev-card').hidden = true;
  refreshCount();
}

async function refreshCount() {
  const d = app.state.dataset;
  try {
    const r = await app.bus.requestAgain(API.devGet, {dataset: d.name, version: d.version});
    fill('dev-count', `${count(r.count)} labelled` + (r.count ? ' (' + Object.entries(r.perClass).map(([c, n]) => `${c} ${n}`).join(' · ') + ')' : ''));
    document.getElementById('dev-count').dataset.count = r.count;
    return r;
  } catch (e) {
    fill('dev-count', e.message);
    return null;
  }
}

/** Shows the first unlabelled row from {@code from} on. */
async function next(from) {
  const d = app.state.dataset;
  try {
    const r = await app.bus.requestAgain(API.devNext, {dataset: d.name, version: d.version, position: from});
    if (r.row_id === null) {
      current = null;
      fill('dev-card', el('p', {}, 'Every row is labelled.'));
      return;
    }
    show({position: r.position, row_id: r.row_id, row: r.row, label: null});
  } catch (e) {
    fill('dev-card', el('span', {class: 'error'}, e.message));
  }
}

function show(row) {
  current = row;
  position = row.position;
  const d = app.state.dataset;
  const labels = app.state.set.labels;
  const text = d.fields.filter(isText);
  const rest = d.fields.filter((f) => !isText(f) && !f.type.startsWith('fixed_size_list'));
  const card = fill('dev-card',
      el('div', {class: 'muted', 'data-testid': 'dev-row', 'data-row': row.row_id},
          `row ${row.row_id}` + (row.label ? ` · labelled ${row.label}` : '')),
      text.map((f) => el('p', {class: 'dev-text', 'data-column': f.name}, el('span', {class: 'muted'}, f.name + ': '),
          cell(row.row[f.name]))),
      el('div', {class: 'muted small'}, rest.map((f) => `${f.name}: ${row.row[f.name] ?? 'null'}`).join(' · ')),
      el('div', {class: 'toolbar'},
          labels.map((c, i) => el('button', {class: row.label === c ? 'primary' : '', 'data-testid': 'dev-label',
            'data-label': c, onclick: () => label(c)}, `${i + 1} ${c}`)),
          el('button', {'data-testid': 'dev-skip', onclick: skip}, 's skip'),
          el('button', {'data-testid': 'dev-back', disabled: previous.length === 0, onclick: back}, '⌫ back')));
  card.hidden = false;
  card.focus();
}

async function label(cls) {
  if (!current) {
    return;
  }
  const d = app.state.dataset;
  const row = current;
  current = null; // one label per row shown, however fast the keys come
  try {
    await app.bus.request(API.devPut, {dataset: d.name, version: d.version, labels: [[row.row_id, cls]]});
    previous.push({...row, label: cls});
    refreshCount();
    await next(row.position + 1);
  } catch (e) {
    current = row;
    fill('dev-card', el('span', {class: 'error', 'data-testid': 'dev-error'}, e.message));
  }
}

function skip() {
  if (current) {
    previous.push(current);
    next(current.position + 1);
  }
}

function back() {
  const row = previous.pop();
  if (row) {
    show(row);
  }
}

function onKey(e) {
  if (e.target.tagName === 'INPUT' || e.target.tagName === 'SELECT' || e.target.tagName === 'TEXTAREA') {
    return;
  }
  const labels = app.state.set.labels;
  if (/^[1-9]$/.test(e.key) && Number(e.key) <= labels.length) {
    e.preventDefault();
    label(labels[Number(e.key) - 1]);
  } else if (e.key === 's') {
    e.preventDefault();
    skip();
  } else if (e.key === 'Backspace') {
    e.preventDefault();
    back();
  }
}
