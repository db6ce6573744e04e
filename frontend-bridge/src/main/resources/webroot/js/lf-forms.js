// One form per LF kind. An LF is kept as its JSON spec (the same object the server's apply takes); the
// form edits the spec in place and calls onchange after every edit.
import {el} from './dom.js';

export const KINDS = ['keyword', 'regex', 'numeric', 'categorical', 'expression', 'similarity', 'model'];
const NUMERIC_OPS = ['<', '<=', '>', '>=', '==', '!=', 'between'];

const isText = (f) => f.type === 'utf8' || f.type === 'large_utf8';
const isNumber = (f) => /^(int|float)/.test(f.type);
const isVector = (f) => f.type.startsWith('fixed_size_list');

/** A new LF of a kind with sensible defaults for the dataset's columns. */
export function newLf(kind, name, fields, labels) {
  const first = (pred) => (fields.find(pred) || fields[0] || {name: ''}).name;
  const label = labels[labels.length - 1] || '';
  switch (kind) {
    case 'keyword': return {name, kind, column: first(isText), keywords: [], caseSensitive: false, wholeWord: true, label};
    case 'regex': return {name, kind, column: first(isText), pattern: '', caseSensitive: false, label};
    case 'numeric': return {name, kind, column: first(isNumber), op: '<', value: 0, label};
    case 'categorical': return {name, kind, column: first(isText), values: [], label};
    case 'expression': return {name, kind, expr: '', label};
    case 'similarity': return {name, kind, column: first(isVector), query: [], threshold: 0.8, label};
    case 'model': return {name, kind, column: first(isText), model: '', class: 1, threshold: 0.5, label};
    default: throw new Error('unknown LF kind ' + kind);
  }
}

const list = (text) => text.split(/\n|,/).map((s) => s.trim()).filter((s) => s.length > 0);
const numbers = (text) => list(text).map(Number);

/** The form of one LF; {@code ctx}: {fields, labels, onchange, onremove, error}. */
export function lfForm(lf, ctx) {
  const set = (key, value) => {
    if (value === undefined) {
      delete lf[key];
    } else {
      lf[key] = value;
    }
    ctx.onchange(lf);
  };
  const input = (key, attrs = {}, parse = (v) => v) => el('input', {
    value: lf[key] ?? '', 'data-field': key, ...attrs,
    oninput: (e) => set(key, parse(e.target.value)),
  });
  const number = (key) => input(key, {type: 'number', step: 'any', class: 'num'}, (v) => (v === '' ? undefined : Number(v)));
  const check = (key, text) => el('label', {class: 'check'},
      el('input', {type: 'checkbox', checked: !!lf[key], 'data-field': key, onchange: (e) => set(key, e.target.checked)}), text);
  const select = (key, options, attrs = {}) => el('select', {'data-field': key, ...attrs, onchange: (e) => set(key, e.target.value)},
      options.map((o) => el('option', {value: o.value ?? o, selected: (o.value ?? o) === lf[key]}, o.text ?? o)));
  const column = (pred) => {
    const cols = ctx.fields.filter(pred);
    const options = cols.map((f) => ({value: f.name, text: `${f.name} (${f.type})`}));
    if (lf.column && !cols.some((f) => f.name === lf.column)) {
      options.unshift({value: lf.column, text: lf.column + ' (?)'});
    }
    return field('column', select('column', options));
  };
  const labelOptions = (allowNone) => {
    const options = ctx.labels.map((l) => ({value: l, text: l}));
    if (allowNone) {
      options.unshift({value: '', text: '(expression returns the class index)'});
    }
    if (lf.label && !ctx.labels.includes(lf.label)) {
      options.unshift({value: lf.label, text: lf.label + ' (not in label space)'});
    }
    return field('label', el('select', {'data-field': 'label',
      onchange: (e) => set('label', e.target.value === '' ? undefined : e.target.value)},
    options.map((o) => el('option', {value: o.value, selected: o.value === (lf.label ?? '')}, o.text))));
  };

  let body;
  switch (lf.kind) {
    case 'keyword':
      body = [column(isText),
        field('keywords (one per line)', el('textarea', {'data-field': 'keywords', rows: 2,
          oninput: (e) => set('keywords', list(e.target.value))}, (lf.keywords || []).join('\n'))),
        check('caseSensitive', 'case sensitive'), check('wholeWord', 'whole words'), labelOptions(false)];
      break;
    case 'regex':
      body = [column(isText), field('pattern (RE2)', input('pattern', {class: 'wide', spellcheck: 'false'})),
        check('caseSensitive', 'case sensitive'), labelOptions(false)];
      break;
    case 'numeric':
      body = [column(isNumber), field('op', select('op', NUMERIC_OPS, {onchange: (e) => {
        lf.op = e.target.value;
        if (lf.op === 'between') {
          delete lf.value; lf.min ??= 0; lf.max ??= 1;
        } else {
          delete lf.min; delete lf.max; lf.value ??= 0;
        }
        ctx.onchange(lf);
        ctx.rerender();
      }})),
      lf.op === 'between' ? [field('min', number('min')), field('max', number('max'))] : field('value', number('value')),
      labelOptions(false)];
      break;
    case 'categorical':
      body = [column(() => true), field('values (comma separated)', el('input', {class: 'wide', 'data-field': 'values',
        value: (lf.values || []).join(', '), oninput: (e) => set('values', list(e.target.value))})), labelOptions(false)];
      break;
    case 'expression':
      body = [field('CEL expression', el('textarea', {class: 'cel', rows: 2, spellcheck: 'false', 'data-field': 'expr',
        placeholder: 'size(text) > 200 && stars < 2', oninput: (e) => set('expr', e.target.value)}, lf.expr || '')),
      labelOptions(true), check('faultTolerant', 'fault tolerant (abstain where it fails)')];
      break;
    case 'similarity':
      body = [column(isVector), field('query vector', el('input', {class: 'wide', 'data-field': 'query',
        value: (lf.query || []).join(', '), oninput: (e) => set('query', numbers(e.target.value))})),
      field('threshold', number('threshold')), labelOptions(false)];
      break;
    case 'model':
      body = [column(() => true), field('model file', input('model')), field('class', number('class')),
        field('threshold', number('threshold')), labelOptions(false)];
      break;
    default:
      body = [el('span', {class: 'muted'}, 'unknown kind ' + lf.kind)];
  }
  return el('div', {class: 'lf' + (ctx.error ? ' has-error' : ''), 'data-lf': lf.name},
      el('div', {class: 'lf-head'},
          el('input', {class: 'lf-name', value: lf.name, 'data-field': 'name', 'aria-label': 'LF name',
            onchange: (e) => { lf.name = e.target.value.trim(); ctx.onchange(lf); ctx.rerender(); }}),
          el('span', {class: 'kind-tag'}, lf.kind),
          el('button', {class: 'link', title: 'remove this LF', onclick: () => ctx.onremove(lf)}, '✕')),
      el('div', {class: 'lf-body'}, body),
      el('div', {class: 'lf-error', role: 'alert', 'data-testid': 'lf-error'}, ctx.error || ''));
}

function field(name, control) {
  return el('label', {class: 'field'}, el('span', {}, name), control);
}
