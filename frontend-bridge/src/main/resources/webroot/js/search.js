// Search a text column with a keyword or regex LF run by the server's LF engine (labelflight.api.search):
// hit count, coverage, a page of hits with the matched spans marked; then "make an LF from this", which
// shows the LF's coverage and its accuracy on the dev set (or the gold column) before it is added.
import {API, DEV_GOLD, isText} from './api.js';
import {el, fill, count, percent} from './dom.js';
import {highlighted} from './highlight.js';

const LIMIT = 20;
let app;
let current = null; // {lf, offset}

export function init(a) {
  app = a;
  document.getElementById('search').onsubmit = (e) => {
    e.preventDefault();
    const lf = queryLf();
    if (!lf) {
      return;
    }
    current = {lf, offset: 0};
    run();
  };
  document.getElementById('search-kind').onchange = (e) => {
    document.getElementById('search-word').disabled = e.target.value !== 'keyword';
  };
}

export function datasetChanged() {
  const columns = app.state.dataset.fields.filter(isText).map((f) => f.name);
  document.getElementById('search-column').replaceChildren(...columns.map((c) => el('option', {value: c}, c)));
  fill('search-results');
  document.getElementById('search-lf').hidden = true;
}

/** The search box as an LF spec without name and label, or null (with the reason shown). */
function queryLf() {
  const column = document.getElementById('search-column').value;
  const kind = document.getElementById('search-kind').value;
  const text = document.getElementById('search-query').value.trim();
  const caseSensitive = document.getElementById('search-case').checked;
  if (!text) {
    fill('search-results', el('span', {class: 'error'}, 'type words or a pattern'));
    return null;
  }
  if (kind === 'keyword') {
    const keywords = text.split(',').map((s) => s.trim()).filter(Boolean);
    return {kind, column, keywords, caseSensitive, wholeWord: document.getElementById('search-word').checked};
  }
  return {kind, column, pattern: text, caseSensitive};
}

async function run() {
  const d = app.state.dataset;
  fill('search-results', el('span', {class: 'muted'}, 'searching…'));
  try {
    const r = await app.bus.requestAgain(API.search, {dataset: d.name, version: d.version, lf: current.lf,
      offset: current.offset, limit: LIMIT});
    const last = r.offset + r.hits.length;
    const column = current.lf.column;
    fill('search-results',
        el('div', {class: 'toolbar'},
            el('span', {'data-testid': 'search-count', 'data-matches': r.matches},
                `${count(r.matches)} rows match · coverage ${percent(r.coverage)}` + (r.hits.length ? ` · ${r.offset + 1}–${last}` : '')),
            el('button', {disabled: r.offset === 0, 'data-testid': 'search-prev', onclick: () => { current.offset = Math.max(0, current.offset - LIMIT); run(); }}, '◀'),
            el('button', {disabled: last >= r.matches, 'data-testid': 'search-next', onclick: () => { current.offset += LIMIT; run(); }}, '▶'),
            el('span', {class: 'spacer'}),
            el('button', {class: 'primary', disabled: r.matches === 0, 'data-testid': 'make-lf', onclick: () => makeLf(current.lf)},
                'Make an LF from this')),
        el('div', {'data-testid': 'search-hits'}, r.hits.map((h) => el('div', {class: 'review-row', 'data-row': h.row_id},
            el('span', {class: 'muted'}, '#' + h.row_id + ' '),
            highlighted(h.row[column], column, h.spans)))));
  } catch (e) {
    fill('search-results', el('span', {class: 'error', 'data-testid': 'search-error'}, e.message));
  }
}

/** The LF form pre-filled from the search, with its estimate on gold, before it joins the LF set. */
function makeLf(lf) {
  const labels = app.state.set.labels;
  const suggested = (lf.kind === 'keyword' ? 'kw_' + lf.keywords[0] : 're_' + lf.pattern)
      .toLowerCase().replace(/[^a-z0-9_]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 40) || lf.kind;
  const name = el('input', {value: suggested, 'data-testid': 'new-lf-name', 'aria-label': 'LF name'});
  const label = el('select', {'data-testid': 'new-lf-label', 'aria-label': 'class'},
      labels.map((c, i) => el('option', {value: c, selected: i === labels.length - 1}, c)));
  const estimate = el('div', {class: 'muted', 'data-testid': 'new-lf-estimate'}, 'estimating…');
  const box = fill('search-lf',
      el('h3', {}, `New ${lf.kind} LF`),
      el('div', {class: 'lf-body'},
          el('label', {class: 'field'}, el('span', {}, 'name'), name),
          el('label', {class: 'field'}, el('span', {}, lf.kind === 'keyword' ? 'keywords' : 'pattern'),
              el('code', {}, lf.kind === 'keyword' ? lf.keywords.join(', ') : lf.pattern)),
          el('label', {class: 'field'}, el('span', {}, 'column'), el('code', {}, lf.column)),
          el('label', {class: 'field'}, el('span', {}, 'votes'), label)),
      estimate,
      el('div', {class: 'toolbar'},
          el('button', {class: 'primary', 'data-testid': 'new-lf-add', onclick: () => {
            const added = app.addLf({name: name.value.trim(), ...lf, label: label.value});
            box.hidden = true;
            const form = document.querySelector(`.lf[data-lf="${CSS.escape(added)}"]`);
            if (form) {
              form.scrollIntoView({block: 'center'});
            }
          }}, 'Add to the LF set'),
          el('button', {onclick: () => { box.hidden = true; }}, 'Cancel')));
  box.hidden = false;
  label.onchange = () => estimateOnGold(lf, label.value, estimate);
  estimateOnGold(lf, label.value, estimate);
  box.scrollIntoView({block: 'nearest'});
}

/** Coverage, and accuracy on the dev set (else the LF set's gold column) if the LF voted {@code cls}. */
async function estimateOnGold(lf, cls, into) {
  const d = app.state.dataset;
  const labels = app.state.set.labels;
  const devCount = await app.bus.requestAgain(API.devGet, {dataset: d.name, version: d.version}).then((r) => r.count, () => 0);
  const gold = devCount > 0 ? DEV_GOLD : app.state.set.gold && app.state.set.gold !== DEV_GOLD ? app.state.set.gold : null;
  const body = {dataset: d.name, version: d.version, lf: {...lf, label: cls}, labels, limit: 1};
  if (gold) {
    body.gold = gold;
  }
  try {
    const r = await app.bus.requestAgain(API.search, body);
    const g = r.gold;
    const onGold = !g ? 'no dev set or gold column yet: label rows below to estimate its accuracy'
      : g.covered === 0 ? `it covers none of the ${count(g.labelled)} ${g.name === DEV_GOLD ? 'hand-labelled' : 'gold'} rows`
        : `on the ${g.name === DEV_GOLD ? 'dev set' : `gold column '${g.name}'`}: covers ${count(g.covered)} of ${count(g.labelled)} rows, `
          + `accuracy ${percent(g.accuracy)} (95% interval ${percent(g.low)}–${percent(g.high)})`;
    into.replaceChildren(el('span', {'data-coverage': r.coverage, 'data-accuracy': g && g.accuracy !== undefined ? g.accuracy : ''},
        `Coverage ${percent(r.coverage)} (${count(r.matches)} rows) · ${onGold}`));
  } catch (e) {
    into.replaceChildren(el('span', {class: 'error'}, e.message));
  }
}
