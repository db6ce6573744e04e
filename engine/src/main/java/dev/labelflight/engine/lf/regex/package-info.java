/**
 * The regex engines of regex LFs and of CEL's {@code matches()}, all linear in the text:
 * {@link dev.labelflight.engine.lf.regex.RegexParser} reads RE2 syntax into a tree (two meanings: RE2's, and
 * LabelFlight's Unicode one for regex LFs), whose program size is known before anything expands it;
 * {@link dev.labelflight.engine.lf.regex.ByteRegex} / {@link dev.labelflight.engine.lf.regex.LazyDfa} is a
 * lazy DFA over UTF-8 bytes (CEL's RE2 meaning); {@link dev.labelflight.engine.lf.regex.CodePointDfa} is one
 * over code points ({@link dev.labelflight.engine.lf.regex.CodePointClasses}) that skips from its idle states;
 * both build states in a {@link dev.labelflight.engine.lf.regex.DfaStates} cache;
 * {@link dev.labelflight.engine.lf.regex.UnicodeNfa} simulates the code point NFA
 * ({@link dev.labelflight.engine.lf.regex.CodePointProgram}) where the DFA's cache thrashes;
 * {@link dev.labelflight.engine.lf.regex.UnicodeRegex} puts the two together for a regex LF. The slow
 * engines (the NFA, RE2J through {@link dev.labelflight.engine.lf.regex.CountingText}) charge their steps to
 * a {@link dev.labelflight.engine.lf.regex.StepBudget}, which also checks for cancellation.
 */
package dev.labelflight.engine.lf.regex;
