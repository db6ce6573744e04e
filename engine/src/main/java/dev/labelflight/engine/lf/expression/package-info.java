/**
 * Expression LFs: CEL over a row's columns. {@link dev.labelflight.engine.lf.expression.ExpressionCompiler}
 * checks an expression (syntax, types, size, literal regexes) and plans it; the common subset runs as
 * columnar operations over a chunk ({@code Columnar}, {@code ColumnarPlanner}), the rest in the CEL
 * interpreter row by row ({@code ExpressionEvaluator}), with cancellation checks in both and row failures
 * reported as the kind of failure, never CEL's message (which quotes values).
 */
package dev.labelflight.engine.lf.expression;
