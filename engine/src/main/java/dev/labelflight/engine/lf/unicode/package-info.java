/**
 * The one rule for words and case that keyword and regex LFs follow, Python's {@code re} for str patterns:
 * {@link dev.labelflight.engine.lf.unicode.WordCharacters} (a word character is a Unicode letter, number or
 * {@code _}) and {@link dev.labelflight.engine.lf.unicode.CaseFolding} (Unicode simple case folding, by
 * orbits); with {@link dev.labelflight.engine.lf.unicode.Utf8} to read and write code points in byte arrays
 * without objects.
 */
package dev.labelflight.engine.lf.unicode;
