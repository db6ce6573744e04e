// Files: upload a CSV or Arrow IPC file into a dataset (POST /api/upload/NAME, streamed, with the bytes sent
// as progress and the server's schema errors shown), and CSV exports of L, predictions and the dev set
// (GET /api/export/...). Both carry the user's token in the Authorization header.
import {el, fill, count} from './dom.js';

let app;

export function init(a) {
  app = a;
  const file = document.getElementById('upload-file');
  file.onchange = () => {
    const f = file.files[0];
    if (f && !document.getElementById('upload-name').value) {
      document.getElementById('upload-name').value = f.name.replace(/\.[^.]*$/, '').replace(/[^A-Za-z0-9_.-]+/g, '_');
    }
  };
  document.getElementById('upload').onsubmit = (e) => {
    e.preventDefault();
    upload();
  };
  document.getElementById('export-dev').onclick = () => {
    const d = app.state.dataset;
    download(`/api/export/devset/${encodeURIComponent(d.name)}?version=${d.version}`, `devset-${d.name}.csv`)
        .catch((e) => fill('upload-error', e.message));
  };
}

function setUpload(fraction, text) {
  document.getElementById('upload-fill').style.width = (100 * fraction).toFixed(1) + '%';
  fill('upload-text', text);
}

function upload() {
  const f = document.getElementById('upload-file').files[0];
  const name = document.getElementById('upload-name').value.trim();
  fill('upload-error');
  if (!f || !name) {
    fill('upload-error', 'choose a file and a dataset name');
    return;
  }
  const ext = f.name.toLowerCase().split('.').pop();
  if (ext === 'parquet') {
    fill('upload-error', 'Parquet is not read by the server\'s Java side; upload it with the Python client '
      + '(c.upload(pd.read_parquet(path), name)) or save it as CSV or Arrow IPC');
    return;
  }
  const format = ['arrow', 'feather', 'ipc'].includes(ext) ? 'arrow' : 'csv';
  const xhr = new XMLHttpRequest();
  xhr.open('POST', `/api/upload/${encodeURIComponent(name)}?format=${format}`);
  if (app.bus.token) {
    xhr.setRequestHeader('Authorization', 'Bearer ' + app.bus.token);
  }
  xhr.setRequestHeader('Content-Type', format === 'csv' ? 'text/csv' : 'application/vnd.apache.arrow.stream');
  xhr.upload.onprogress = (e) => {
    if (e.lengthComputable) {
      setUpload(e.loaded / e.total, `${count(e.loaded)} of ${count(e.total)} bytes sent`);
    }
  };
  xhr.onload = () => {
    let reply = {};
    try {
      reply = JSON.parse(xhr.responseText);
    } catch {
      reply = {error: xhr.responseText || xhr.statusText};
    }
    if (xhr.status === 200) {
      setUpload(1, `stored ${reply.dataset} v${reply.version}: ${count(reply.rows)} rows`);
      app.loadDatasets(reply.dataset);
    } else {
      setUpload(0, 'not stored');
      fill('upload-error', reply.error || `upload failed (${xhr.status})`);
    }
  };
  xhr.onerror = () => {
    setUpload(0, 'not stored');
    fill('upload-error', 'the upload was cut off (connection lost or the server refused the size)');
  };
  setUpload(0, 'starting…');
  xhr.send(f);
}

/** Downloads an export with the token (a plain link cannot carry it) and saves it under {@code name}. */
export async function download(path, name) {
  const response = await fetch(path, {headers: app.bus.token ? {Authorization: 'Bearer ' + app.bus.token} : {}});
  if (!response.ok) {
    let message = response.statusText;
    try {
      message = (await response.json()).error;
    } catch {
      // not JSON
    }
    throw new Error(`export failed (${response.status}): ${message}`);
  }
  const blob = await response.blob();
  const url = URL.createObjectURL(blob);
  const a = el('a', {href: url, download: name, 'data-testid': 'download-link'});
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}
