/**
 * Label models as stored artifacts: {@link dev.labelflight.engine.labelmodel.artifact.ModelStore} keeps
 * versioned, checksummed documents per user on disk; {@link dev.labelflight.engine.labelmodel.artifact.ModelArtifact}
 * reads one back and matches its LFs (name and spec hash) to a job's columns for predicting on new data.
 */
package dev.labelflight.engine.labelmodel.artifact;
