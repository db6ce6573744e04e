// Error analysis: pages of the rows an LF gets wrong against gold, the label model gets wrong, no LF covers,
// or where LFs conflict, computed by the server (labelflight.api.review.rows) with the spans where the
// row's keyword and regex LFs matched.
import {API, DEV_GOLD, goldOptions, isText} from './api.js';
import {el, fill, count, cell} from './dom.js';
import {highlighted} from './highlight.js';

const LIMIT = 20;
let app;
let offset = 0;

export function init(a) {
  app = a;
  document.getElementById('review-show').onclick = () => { offset = 0; show(); };
  document.getElementById('review-view').onchange = () => syncControls();
}

export function datasetChanged() {
  const fields = app.state.dataset.fields;
  const gold = document.getElementById('review-gold');
  gold.replaceChildren(el('option', {value: ''}, '(none)'), el('option', {value: DEV_GOLD}, 'dev set (hand labels)'),
      ...goldOptions(fields).map((name) => el('option', {value: name}, name)));
  gold.value = app.state.set.gold || '';
  fill('review');
  document.getElementById('review-show').disabled = !app.state.results;
}

export function jobChanged() {
  const job = app.state.results;
  document.getElementById('review-lf').replaceChildren(el('option', {value: ''}, '(any)'),
      ...job.lfs.map((name) => el('option', {value: name}, name)));
  document.getElementById('review-class').replaceChildren(el('option', {value: ''}, '(any)'),
      ...job.labels.map((c) => el('option', {value: c}, c)));
  const gold = document.getElementById('review-gold');
  if (job.gold) {
    gold.value = job.gold;
  }
  document.getElementById('review-show').disabled = false;
  syncControls();
}

function syncControls() {
  const view = document.getElementById('review-view').value;
  const lf = document.getElementById('review-lf');
  if (view === 'lf-wrong' && !lf.value && lf.options.length > 1) {
    lf.selectedIndex = 1;
  }
}

async function show() {
  const job = app.state.results;
  if (!job) {
    return;
  }
  const view = document.getElementById('review-view').value;
  const body = {job: job.id, view, offset, limit: LIMIT};
  const lf = document.getElementById('review-lf').value;
  const cls = document.getElementById('review-class').value;
  const gold = document.getElementById('review-gold').value;
  const min = Number(document.getElementById('review-min').value || 0);
  const max = Number(document.getElementById('review-max').value || 1);
  if (lf) {
    body.lf = lf;
  }
  if (cls) {
    body.class = cls;
  }
  if (gold) {
    body.gold = gold;
  }
  const modelId = app.state.model && app.state.model.job === job.id ? app.state.model.id : null;
  if (modelId && (view === 'model-wrong' || min > 0 || max < 1)) {
    body.model = modelId;
    body.minConfidence = min;
    body.maxConfidence = max;
  }
  if (view === 'model-wrong' && !modelId) {
    fill('review', el('span', {class: 'error'}, 'fit a label model first (Label model, above)'));
    return;
  }
  fill('review', el('span', {class: 'muted'}, 'searching…'));
  try {
    const page = await app.bus.requestAgain(API.review, body);
    render(job, page);
  } catch (e) {
    fill('review', el('span', {class: 'error', 'data-testid': 'review-error'}, e.message));
  }
}

function render(job, page) {
  const name = (c) => (c === -1 || c === undefined || c === null ? '—' : job.labels[c] ?? c);
  const textFields = app.state.dataset.fields.filter(isText).map((f) => f.name);
  const others = app.state.dataset.fields.filter((f) => !isText(f) && !f.type.startsWith('fixed_size_list')).map((f) => f.name);
  const what = {
    'lf-wrong': `rows where ${page.rows.length && document.getElementById('review-lf').value ? `'${document.getElementById('review-lf').value}'` : 'the LF'} votes against gold`,
    'model-wrong': 'rows the label model gets wrong', uncovered: 'rows no LF covers', conflicts: 'rows where LFs conflict',
  }[page.view];
  const last = page.offset + page.rows.length;
  const pager = el('div', {class: 'toolbar'},
      el('span', {class: 'muted', 'data-testid': 'review-heading', 'data-total': page.total},
          `${count(page.total)} ${what}` + (page.rows.length ? ` · ${page.offset + 1}–${last}` : '')
          + (page.gold ? ` · gold: ${page.gold === DEV_GOLD ? 'dev set' : page.gold}` : '')
          + (page.state !== 'SUCCEEDED' ? ` · job ${page.state.toLowerCase()}, ${page.chunksDone} of ${page.chunksTotal} chunks` : '')),
      el('button', {disabled: page.offset === 0, 'data-testid': 'review-prev', onclick: () => { offset = Math.max(0, offset - LIMIT); show(); }}, '◀'),
      el('button', {disabled: last >= page.total, 'data-testid': 'review-next', onclick: () => { offset += LIMIT; show(); }}, '▶'));
  const rows = page.rows.map((r) => el('div', {class: 'review-row', 'data-row': r.row_id},
      el('div', {class: 'review-meta'},
          el('span', {class: 'muted'}, '#' + r.row_id),
          r.gold !== undefined ? el('span', {class: 'tag gold', 'data-testid': 'row-gold'}, 'gold ' + name(r.gold)) : null,
          r.predicted !== undefined ? el('span', {class: 'tag model'}, `model ${name(r.predicted)} (${(100 * r.confidence).toFixed(0)}%)`) : null,
          Object.entries(r.votes).map(([lf, v]) => el('span', {
            class: 'tag vote' + (r.gold !== undefined && r.gold >= 0 ? (v === r.gold ? ' right' : ' wrong') : ''),
            'data-lf': lf, 'data-vote': name(v)}, `${lf}: ${name(v)}`))),
      textFields.map((f) => el('div', {class: 'review-text', 'data-column': f}, highlighted(r.row[f], f, r.spans))),
      el('div', {class: 'muted small'}, others.map((f) => `${f}: ${cell(r.row[f]).textContent ?? cell(r.row[f])}`).join(' · '))));
  fill('review', pager, el('div', {'data-testid': 'review-rows'}, rows));
}
