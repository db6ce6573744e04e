package dev.labelflight.engine.demo;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import java.util.List;

/**
 * Generates a seeded "product reviews" dataset for the demo, tests and benchmarks: review text that
 * sometimes contains spam phrases and URLs, a star rating, a length, a price (with nulls), a source
 * a gold label (0 = HAM, 1 = SPAM) and an 8-float embedding {@code emb} near a per-class centre. Same
 * seed, same rows.
 */
public final class ReviewsGenerator {
  public static final Schema SCHEMA = new Schema(List.of(
      new Field("id", FieldType.notNullable(new ArrowType.Int(64, true)), null),
      new Field("text", FieldType.nullable(new ArrowType.Utf8()), null),
      new Field("stars", FieldType.notNullable(new ArrowType.Int(32, true)), null),
      new Field("length", FieldType.notNullable(new ArrowType.Int(32, true)), null),
      new Field("price", FieldType.nullable(new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)), null),
      new Field("source", FieldType.notNullable(new ArrowType.Utf8()), null),
      new Field("gold", FieldType.notNullable(new ArrowType.Int(32, true)), null),
      new Field("emb", FieldType.notNullable(new ArrowType.FixedSizeList(ReviewsGenerator.EMBEDDING_DIMENSION)),
          List.of(new Field("item", FieldType.notNullable(
              new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE)), null)))));

  /** Length of the {@code emb} vectors. */
  public static final int EMBEDDING_DIMENSION = 8;
  /**
   * The {@code emb} column: unit-variance Gaussian noise around {@link #HAM_CENTER} or {@link #SPAM_CENTER}
   * (engine/src/test/resources/models/make_models.py trains its vector model on the same centres).
   */
  public static final float[] HAM_CENTER = {1.0f, 0.5f, 0f, 0f, -0.5f, 0f, 0.2f, 0f};
  public static final float[] SPAM_CENTER = {-0.5f, 0.5f, 1.5f, 0f, 0.5f, -1.0f, 0.2f, 0.8f};

  private static final String[] WORD_LIST = {
      "the", "product", "works", "great", "battery", "life", "is", "good", "bad", "quality", "shipping", "was",
      "fast", "slow", "would", "buy", "again", "not", "recommend", "love", "it", "terrible", "screen", "sound",
      "price", "value", "for", "money", "box", "arrived", "broken", "return", "support", "helpful", "easy", "to",
      "use", "setup", "size", "fits", "well", "color", "nice", "cheap", "feels", "solid", "after", "week",
      "month", "stopped", "working", "Excellent", "Happy", "with", "purchase", "Okay", "but", "expected", "more"};
  /** The words review text is made of (besides spam phrases and URLs). */
  public static final List<String> WORDS = List.of(WORD_LIST);
  private static final String[] SPAM = {
      "FREE money", "click here", "Winner", "free gift card", "limited offer", "act now", "Congratulations you won"};
  private static final String[] URLS = {"http://deals.example.com/x", "https://win.example.net/free", "www.promo.example"};
  private static final String[] SOURCES = {"web", "app", "forum", "sms", "email"};

  private final long seed;

  public ReviewsGenerator(long seed) {
    this.seed = seed;
  }

  /** Fills a new root with rows {@code [firstRow, firstRow + rows)}; the caller closes it. */
  public VectorSchemaRoot batch(long firstRow, int rows, BufferAllocator allocator) {
    VectorSchemaRoot root = VectorSchemaRoot.create(SCHEMA, allocator);
    try {
      fill(root, firstRow, rows);
      return root;
    } catch (RuntimeException e) {
      root.close();
      throw e;
    }
  }

  private void fill(VectorSchemaRoot root, long firstRow, int rows) {
    for (var vector : root.getFieldVectors()) {
      vector.setInitialCapacity(rows);
    }
    root.allocateNew();
    BigIntVector id = (BigIntVector) root.getVector("id");
    VarCharVector text = (VarCharVector) root.getVector("text");
    IntVector stars = (IntVector) root.getVector("stars");
    IntVector length = (IntVector) root.getVector("length");
    Float8Vector price = (Float8Vector) root.getVector("price");
    VarCharVector source = (VarCharVector) root.getVector("source");
    IntVector gold = (IntVector) root.getVector("gold");
    FixedSizeListVector emb = (FixedSizeListVector) root.getVector("emb");
    Float4Vector embValues = (Float4Vector) emb.getDataVector();
    embValues.setInitialCapacity(rows * EMBEDDING_DIMENSION);
    embValues.allocateNew();
    StringBuilder sb = new StringBuilder(256);
    for (int i = 0; i < rows; i++) {
      long row = firstRow + i;
      // One generator per row, so a row's content does not depend on how rows are batched.
      SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + row);
      boolean spam = r.nextInt(100) < 30;
      sb.setLength(0);
      int words = 8 + r.nextInt(22);
      for (int w = 0; w < words; w++) {
        if (w > 0) {
          sb.append(' ');
        }
        if (r.nextInt(100) < (spam ? 12 : 1)) {
          sb.append(SPAM[r.nextInt(SPAM.length)]);
        } else if (r.nextInt(100) < (spam ? 4 : 0)) {
          sb.append(URLS[r.nextInt(URLS.length)]);
        } else {
          sb.append(WORD_LIST[r.nextInt(WORD_LIST.length)]);
        }
      }
      sb.append(r.nextBoolean() ? '.' : '!');
      id.set(i, row);
      if (r.nextInt(500) == 0) {
        text.setNull(i);
      } else {
        text.setSafe(i, sb.toString().getBytes(StandardCharsets.UTF_8));
      }
      int s = spam ? 1 + r.nextInt(5) : (r.nextInt(100) < 70 ? 3 + r.nextInt(3) : 1 + r.nextInt(5));
      stars.set(i, s);
      length.set(i, sb.length());
      if (r.nextInt(20) == 0) {
        price.setNull(i);
      } else {
        price.set(i, Math.round(r.nextDouble(1, 500) * 100) / 100.0);
      }
      source.setSafe(i, SOURCES[spam ? r.nextInt(SOURCES.length) : r.nextInt(3)].getBytes(StandardCharsets.UTF_8));
      gold.set(i, spam ? 1 : 0);
      // A generator of its own, so the columns above keep their values.
      SplittableRandom e = new SplittableRandom((seed * 0x9E3779B97F4A7C15L + row) ^ 0x5DEECE66DL);
      float[] center = spam ? SPAM_CENTER : HAM_CENTER;
      emb.setNotNull(i);
      for (int k = 0; k < EMBEDDING_DIMENSION; k++) {
        embValues.set(i * EMBEDDING_DIMENSION + k, (float) (center[k] + gaussian(e)));
      }
    }
    embValues.setValueCount(rows * EMBEDDING_DIMENSION);
    root.setRowCount(rows);
  }

  private static double gaussian(SplittableRandom r) {
    // Box-Muller: SplittableRandom has no nextGaussian on Java 17.
    double u = 1.0 - r.nextDouble();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r.nextDouble());
  }
}
