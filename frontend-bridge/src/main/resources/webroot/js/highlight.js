// Text with the spans where LFs matched marked: the server sends UTF-16 offsets per LF
// ({lf, column, at: [start, end, ...]}), never markup, so the text stays text (no innerHTML).
import {el} from './dom.js';

/** The value of {@code column} with the spans of that column marked; overlapping spans merge. */
export function highlighted(text, column, spans) {
  if (text === null || text === undefined) {
    return el('span', {class: 'muted'}, 'null');
  }
  const marks = [];
  for (const s of spans || []) {
    if (s.column !== column) {
      continue;
    }
    for (let i = 0; i + 1 < s.at.length; i += 2) {
      marks.push({start: s.at[i], end: Math.min(s.at[i + 1], text.length), lf: s.lf});
    }
  }
  if (marks.length === 0) {
    return el('span', {class: 'text'}, text);
  }
  marks.sort((a, b) => a.start - b.start || b.end - a.end);
  const parts = [];
  let at = 0;
  let current = null;
  for (const m of marks) {
    if (current && m.start < current.end) {
      current.end = Math.max(current.end, m.end);
      current.lfs.add(m.lf);
      continue;
    }
    if (current) {
      parts.push(current);
    }
    current = {start: m.start, end: m.end, lfs: new Set([m.lf])};
  }
  parts.push(current);
  const out = el('span', {class: 'text'});
  for (const p of parts) {
    if (p.start > at) {
      out.append(text.slice(at, p.start));
    }
    out.append(el('mark', {title: [...p.lfs].join(', '), 'data-lf': [...p.lfs].join(' ')}, text.slice(p.start, p.end)));
    at = p.end;
  }
  if (at < text.length) {
    out.append(text.slice(at));
  }
  return out;
}
