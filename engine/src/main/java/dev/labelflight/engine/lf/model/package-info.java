/**
 * Model LFs: ONNX models loaded once per node ({@link dev.labelflight.engine.lf.model.ModelRegistry}) and
 * run over a chunk's non-null rows in batches of about 50 ms
 * ({@link dev.labelflight.engine.lf.model.ModelScorer}); a batch the model fails on is split until the
 * failing rows are found, which follow the LF's {@code faultTolerant} setting.
 */
package dev.labelflight.engine.lf.model;
