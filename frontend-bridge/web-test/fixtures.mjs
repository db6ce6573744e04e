// Files the browser test uploads, generated with a fixed seed: reviews as CSV (a gold column of class
// indexes, quoted fields with commas, quotes and line breaks) and long texts for a run that lasts long enough
// to cut the connection in the middle of it.

/** mulberry32: a small seeded PRNG, so the files are the same at every run. */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ('great works fine good value fast shipping solid quality recommend battery screen size color box '
  + 'arrived week support helpful nice would buy again okay product love it broken slow bad return').split(' ');
const SPAM = ['free gift card', 'winner', 'click here', 'free money', 'act now', 'limited offer'];
const URLS = ['http://deals.example.com/x', 'https://win.example.net/free'];

const quote = (s) => (/[",\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s);

/** {@code rows} reviews as CSV text: id,text,stars,gold (gold 1 = SPAM). */
export function reviewsCsv(rows, seed = 7) {
  const r = random(seed);
  const lines = ['id,text,stars,gold'];
  for (let i = 0; i < rows; i++) {
    const spam = r() < 0.3;
    const words = [];
    const n = 6 + Math.floor(r() * 14);
    for (let w = 0; w < n; w++) {
      const x = r();
      words.push(spam && x < 0.12 ? SPAM[Math.floor(r() * SPAM.length)]
        : spam && x < 0.17 ? URLS[Math.floor(r() * URLS.length)]
          : !spam && x < 0.01 ? SPAM[Math.floor(r() * SPAM.length)] : WORDS[Math.floor(r() * WORDS.length)]);
    }
    let text = words.join(' ') + (r() < 0.5 ? '.' : '!');
    if (i % 97 === 0) {
      text = text.replace(' ', ', "really",\n'); // a comma, quotes and a line break inside one field
    }
    const stars = spam ? 1 + Math.floor(r() * 5) : (r() < 0.7 ? 3 + Math.floor(r() * 3) : 1 + Math.floor(r() * 5));
    lines.push([i, quote(text), stars, spam ? 1 : 0].join(','));
  }
  return lines.join('\n') + '\n';
}

/** {@code rows} rows of about {@code bytes} characters of text each: regexes take a while over them. */
export function longTextCsv(rows, bytes, seed = 11) {
  const r = random(seed);
  const lines = ['id,text'];
  for (let i = 0; i < rows; i++) {
    let text = '';
    while (text.length < bytes) {
      text += WORDS[Math.floor(r() * WORDS.length)] + (r() < 0.02 ? String(Math.floor(r() * 1000)) : '') + ' ';
    }
    lines.push(i + ',' + text.trim());
  }
  return lines.join('\n') + '\n';
}
