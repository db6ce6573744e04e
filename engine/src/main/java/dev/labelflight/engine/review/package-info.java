/**
 * Finding the rows a user should look at, page by page and with bounded memory: rows an LF gets wrong
 * against gold, rows the label model gets wrong, rows no LF covers, rows where LFs conflict
 * ({@link dev.labelflight.engine.review.ReviewFinder}), and rows a keyword or regex matches
 * ({@link dev.labelflight.engine.review.TextSearch}, the same engine as the LFs, with its coverage and its
 * accuracy on gold before it becomes an LF). Rows come with the spans where their keyword and regex LFs
 * match ({@link dev.labelflight.engine.lf.MatchSpans}), as offsets, never markup. Gold is a dataset column or
 * the hand-labelled dev set ({@link dev.labelflight.engine.review.Gold}). Scans read one chunk at a time
 * (labels, then data only where needed) and keep only the requested page. Blocking (disk).
 */
package dev.labelflight.engine.review;
