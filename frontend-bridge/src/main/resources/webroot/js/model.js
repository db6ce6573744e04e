// The label model: fit on the last good run (auto picks among the kinds by the dev set, or the gold column),
// show what the fit reports (selection, convergence, warnings, class balance, LF weights), and export L and
// the predictions as CSV.
import {API, DEV_GOLD} from './api.js';
import {el, fill, table, percent} from './dom.js';
import {barChart} from './charts.js';
import {download} from './transfer.js';

let app;

export function init(a) {
  app = a;
  document.getElementById('fit').onclick = fit;
  document.getElementById('use-model').onclick = useStored;
  document.getElementById('stored-model').onchange = () => {
    document.getElementById('use-model').disabled = !app.state.results || !document.getElementById('stored-model').value;
  };
  document.getElementById('export-labels').onclick = () => exportCsv(`/api/export/labels/${app.state.results.id}`,
      `labels-${app.state.results.id}.csv`);
  document.getElementById('export-preds').onclick = () => {
    const m = app.state.model;
    exportCsv(`/api/export/predictions/${m.job}/${encodeURIComponent(m.id)}`, `predictions-${m.job}.csv`);
  };
}

export function jobChanged() {
  document.getElementById('fit').disabled = false;
  document.getElementById('use-model').disabled = !document.getElementById('stored-model').value;
  refreshModels();
  document.getElementById('export-labels').disabled = false;
  const stale = app.state.model && app.state.model.job !== app.state.results.id;
  document.getElementById('export-preds').disabled = !app.state.model || stale;
  if (stale) {
    fill('model', el('span', {class: 'muted'}, 'The LFs ran again: fit the label model for this run.'));
  }
}

/** The share of rows the fitted model gives each class, if a model of the shown run is fitted. */
export function predictedShares() {
  const m = app.state.model;
  if (!m || !app.state.results || m.job !== app.state.results.id) {
    return null;
  }
  return (m.reply.diagnostics && m.reply.diagnostics.predictedShares) || m.reply.classBalance || null;
}

async function exportCsv(path, name) {
  try {
    await download(path, name);
  } catch (e) {
    fill('model', el('span', {class: 'error', 'data-testid': 'export-error'}, e.message));
  }
}

async function fit() {
  const job = app.state.results;
  const kind = document.getElementById('model-kind').value;
  fill('model', el('span', {class: 'muted'}, 'fitting…'));
  const body = {job: job.id, model: kind};
  if (kind === 'auto') {
    // Candidates are scored on the dev set when there is one, else on the LF set's gold column.
    const dev = await app.bus.requestAgain(API.devGet, {dataset: job.dataset, version: job.version}).catch(() => null);
    if (dev && dev.count > 0) {
      body.gold = DEV_GOLD;
    } else if (job.gold && job.gold !== DEV_GOLD) {
      body.gold = job.gold;
    }
  }
  if (kind === 'majority') {
    body.tiePolicy = 'abstain';
  }
  try {
    const m = await app.bus.request(API.fit, body);
    if (app.state.results !== job) {
      return;
    }
    app.state.model = {id: m.model, job: job.id, reply: m};
    refreshModels();
    document.getElementById('export-preds').disabled = false;
    render(job, m);
    app.refreshLabelDistribution();
  } catch (e) {
    fill('model', e.failureType === 'NO_HANDLERS'
      ? el('div', {class: 'notice', 'data-testid': 'model-unavailable'}, 'Label models are not available on this server.')
      : el('span', {class: 'error', 'data-testid': 'model-error'}, e.message));
  }
}

/** Lists the user's stored label models (every version; they survive restarts) in the picker. */
async function refreshModels() {
  const select = document.getElementById('stored-model');
  try {
    const r = await app.bus.request(API.models, {});
    const chosen = select.value;
    select.replaceChildren(el('option', {value: ''}, 'stored models…'), ...r.models.flatMap((m) =>
      m.versions.slice().reverse().map((v) => el('option', {value: `${m.name}@v${v}`}, `${m.name}@v${v} (${m.kind})`))));
    select.value = [...select.options].some((o) => o.value === chosen) ? chosen : '';
  } catch (e) {
    // The picker stays as it was; fitting works without it.
  }
}

/**
 * A stored model on the shown run: the server checks that the run has the model's LFs (by name and spec),
 * else says which one is missing or changed; then its predictions export like a fitted model's.
 */
async function useStored() {
  const job = app.state.results;
  const id = document.getElementById('stored-model').value;
  if (!job || !id) {
    return;
  }
  try {
    const m = await app.bus.request(API.labelModel, {job: job.id, model: id});
    if (app.state.results !== job) {
      return;
    }
    app.state.model = {id, job: job.id, reply: m};
    document.getElementById('export-preds').disabled = false;
    render(job, {...m, model: id});
    app.refreshLabelDistribution();
  } catch (e) {
    fill('model', el('span', {class: 'error', 'data-testid': 'model-error'}, e.message));
  }
}

function render(job, m) {
  const classes = m.classes || job.labels;
  const parts = [el('div', {class: 'muted', 'data-testid': 'model-id', 'data-model': m.model},
      `model ${m.model} (${m.kind})` + (m.fit ? ` · ${m.fit.iterations} iterations, ${m.fit.converged ? 'converged' : 'did not converge'}` : ''))];
  if (m.selection) {
    const s = m.selection;
    parts.push(el('h3', {}, `Selection: ${s.chosen} (${s.supervised ? 'by dev gold' : 'unsupervised'}: ${s.rule})`),
        table(['kind', 'dev accuracy', 'dev log loss', ''], s.candidates.map((c) => [c.kind,
          c.devAccuracy === undefined || c.devAccuracy === null ? '' : percent(c.devAccuracy),
          c.devLogLoss === undefined || c.devLogLoss === null ? '' : (+c.devLogLoss).toFixed(3),
          c.skipped ? 'skipped: ' + c.skipped : c.kind === s.chosen ? 'chosen' : '']), {'data-testid': 'selection-table'}));
  }
  const warnings = (m.diagnostics && m.diagnostics.warnings) || [];
  if (warnings.length) {
    parts.push(el('div', {class: 'error', 'data-testid': 'model-warnings'}, warnings.join('\n')));
  }
  parts.push(barChart({title: 'Class balance', categories: classes, series: [{label: 'class balance', values: m.classBalance}],
    yMax: 1, percent: true, testid: 'class-balance'}));
  parts.push(table(['LF', 'weight'], (m.lfs || job.lfs).map((name, i) => [name,
    m.weights[i] === undefined ? '' : (+m.weights[i]).toFixed(3)]), {'data-testid': 'lf-weights'}));
  fill('model', ...parts);
}
