package dev.labelflight.engine.lf.unicode;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The word and case rules every text LF follows, and the UTF-8 folding the keyword automaton reads rows through. */
class UnicodeRulesTest {

  /** Verifies word characters on letters, numbers and marks of several scripts, as Python's \w. */
  @Test
  void wordCharactersAreUnicodeLettersNumbersAndUnderscore() {
    for (int cp : "aZ_9éДжσΣ東タ한٣²Ⅻǅ".codePoints().toArray()) {
      assertTrue(WordCharacters.isWord(cp), Character.getName(cp));
    }
    for (int cp : " -.,—。\u00a0\u0301😀👍$".codePoints().toArray()) {
      assertFalse(WordCharacters.isWord(cp), Character.getName(cp));
    }
    assertTrue(WordCharacters.isDigit('٣') && !WordCharacters.isDigit('²'));
    assertTrue(WordCharacters.isSpace('\u3000') && WordCharacters.isSpace(0x85) && !WordCharacters.isSpace(0x200B));
    byte[] text = "a😀b".getBytes(StandardCharsets.UTF_8);
    assertFalse(WordCharacters.wordBefore(text, 0, 5), "before 'b' is the emoji");
    assertTrue(WordCharacters.wordBefore(text, 0, 1));
    assertFalse(WordCharacters.wordAt(text, 1, text.length));
  }

  /** Verifies the orbits Python's re.IGNORECASE has, and that none spans lengths. */
  @Test
  void caseFoldingJoinsOrbits() {
    assertArrayEquals(new int[] {'K', 'k', 0x212A}, CaseFolding.orbit('k'));
    assertArrayEquals(new int[] {'S', 's', 0x017F}, CaseFolding.orbit(0x017F));
    assertArrayEquals(new int[] {0x03A3, 0x03C2, 0x03C3}, CaseFolding.orbit('ς'));
    assertArrayEquals(new int[] {'I', 'i', 0x0130, 0x0131}, CaseFolding.orbit(0x0130));
    assertArrayEquals(new int[] {0x0345}, CaseFolding.orbit(0x0345), "the combining ypogegrammeni keeps its own");
    assertEquals('k', CaseFolding.fold(0x212A));
    assertEquals('s', CaseFolding.fold('S'));
    assertEquals(CaseFolding.fold('Σ'), CaseFolding.fold('ς'));
    assertTrue(CaseFolding.isCaseless('東') && !CaseFolding.isCaseless('ß'));
  }

  /** Verifies that folding UTF-8 maps every folded byte back to its character, and keeps malformed bytes. */
  @Test
  void foldedUtf8MapsBackToTheRow() {
    byte[] row = "xÉ\u212Aſ😀".getBytes(StandardCharsets.UTF_8);
    byte[] withBad = new byte[row.length + 2];
    System.arraycopy(row, 0, withBad, 0, row.length);
    withBad[row.length] = (byte) 0xE9; // a lead byte without its continuations
    withBad[row.length + 1] = 'A';
    byte[] out = new byte[CaseFolding.maxFoldedLength(withBad.length)];
    int[] origin = new int[out.length + 1];
    int n = CaseFolding.foldUtf8(withBad, 0, withBad.length, out, origin);
    byte[] expected = "xÉks😀".getBytes(StandardCharsets.UTF_8); // an orbit without ASCII folds to its lowest member
    byte[] expectedAll = new byte[expected.length + 2];
    System.arraycopy(expected, 0, expectedAll, 0, expected.length);
    expectedAll[expected.length] = (byte) 0xE9;
    expectedAll[expected.length + 1] = 'a';
    assertArrayEquals(expectedAll, java.util.Arrays.copyOf(out, n));
    // x at 0, É (2 bytes) at 1, K (3 bytes) at 3, ſ (2 bytes) at 6, the emoji (4 bytes) at 8.
    assertArrayEquals(new int[] {0, 1, 1, 3, 6, 8, 8, 8, 8, 12, 13, 14}, java.util.Arrays.copyOf(origin, n + 1));
  }
}
