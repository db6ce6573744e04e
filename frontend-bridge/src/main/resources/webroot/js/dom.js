// Small DOM helpers: build elements without innerHTML, so data from the server is never parsed as markup.

/** el('div', {class: 'x', onclick: f}, child, 'text', ...) */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) {
      continue;
    }
    if (key.startsWith('on')) {
      node.addEventListener(key.slice(2), value);
    } else if (key === 'value') {
      node.value = value;
    } else if (key === 'checked') {
      node.checked = value;
    } else {
      node.setAttribute(key, value === true ? '' : value);
    }
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) {
      continue;
    }
    if (Array.isArray(child)) {
      append(node, child);
    } else {
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
  }
}

/** Replaces the children of the element with id {@code id}. */
export function fill(id, ...children) {
  const node = document.getElementById(id);
  node.replaceChildren();
  append(node, children);
  return node;
}

/** A table from column names and rows of cells. */
export function table(columns, rows, attrs = {}) {
  return el('table', attrs,
      el('thead', {}, el('tr', {}, columns.map((c) => el('th', {}, c)))),
      el('tbody', {}, rows.map((r) => el('tr', {}, r.map((cell) => el('td', {}, cell))))));
}

export function percent(x) {
  return (100 * x).toFixed(1) + '%';
}

/** Horizontal bars: [{label, value (0..1), text}]. */
export function bars(items, attrs = {}) {
  return el('div', {class: 'bars', ...attrs}, items.map((item) => el('div', {class: 'bar-row'},
      el('span', {class: 'bar-label'}, item.label),
      el('span', {class: 'bar-track'}, el('span', {class: 'bar-fill', style: `width:${Math.max(0, Math.min(1, item.value)) * 100}%`})),
      el('span', {class: 'bar-text'}, item.text))));
}

/** A number with thousands separators. */
export function count(n) {
  return Number(n).toLocaleString('en-US');
}

/** A cell value as text: null shown muted, vectors shortened. */
export function cell(value) {
  if (value === null || value === undefined) {
    return el('span', {class: 'muted'}, 'null');
  }
  return Array.isArray(value) ? '[' + value.map((x) => +(+x).toFixed(3)).join(', ') + ']' : String(value);
}
