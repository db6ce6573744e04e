// Event-bus addresses the page uses (each is opened to browsers explicitly by the server's BridgePolicy).
export const API = {
  apply: 'labelflight.api.apply',
  status: 'labelflight.api.job_status',
  cancel: 'labelflight.api.cancel',
  analysis: 'labelflight.api.analysis',
  fit: 'labelflight.api.fit_label_model',
  models: 'labelflight.api.models',
  labelModel: 'labelflight.api.label_model',
  datasets: 'labelflight.api.datasets',
  sample: 'labelflight.api.sample',
  lfsetGet: 'labelflight.api.lfsets.get',
  lfsetPut: 'labelflight.api.lfsets.put',
  lfsetHistory: 'labelflight.api.lfsets.history',
  examples: 'labelflight.api.examples',
  coverage: 'labelflight.api.coverage',
  review: 'labelflight.api.review.rows',
  search: 'labelflight.api.search',
  devGet: 'labelflight.api.devset.get',
  devPut: 'labelflight.api.devset.put',
  devNext: 'labelflight.api.devset.next',
};

/** The gold value that names the hand-labelled dev set. */
export const DEV_GOLD = '@dev';

/** Columns a gold select offers: integer class indexes or class names, plus the dev set. */
export function goldOptions(fields) {
  return fields.filter((f) => /^int/.test(f.type) || f.type === 'utf8' || f.type === 'large_utf8').map((f) => f.name);
}

export const isText = (f) => f.type === 'utf8' || f.type === 'large_utf8';
