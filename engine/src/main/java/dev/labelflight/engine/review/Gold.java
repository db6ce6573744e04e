package dev.labelflight.engine.review;

import dev.labelflight.engine.analysis.GoldColumn;
import dev.labelflight.engine.devset.DevGold;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * Gold labels for reviewing rows: a dataset column (read from each data chunk) or the hand-labelled dev
 * set (known rows only; chunks without any are skipped without reading them). Values are class indexes,
 * -1 where a row's gold is unknown.
 */
public interface Gold {
  /** What the request named: the column, or {@code @dev}. */
  String name();

  /** Whether {@link #read} needs the dataset chunk. */
  boolean readsData();

  /** Whether any row of {@code [firstRow, firstRow + rows)} may have gold. */
  boolean any(long firstRow, int rows);

  /** Gold labels of a chunk's rows; {@code data} is the dataset chunk when {@link #readsData()}, else may be null. */
  short[] read(VectorSchemaRoot data, long firstRow, int rows);

  /** A gold column. */
  static Gold column(GoldColumn column) {
    return new Gold() {
      @Override
      public String name() {
        return column.name();
      }

      @Override
      public boolean readsData() {
        return true;
      }

      @Override
      public boolean any(long firstRow, int rows) {
        return true;
      }

      @Override
      public short[] read(VectorSchemaRoot data, long firstRow, int rows) {
        return column.read(data, firstRow);
      }
    };
  }

  /** The name by which requests ask for the dev set as gold. */
  String DEV = "@dev";

  /** The dev set. */
  static Gold dev(DevGold dev) {
    return new Gold() {
      @Override
      public String name() {
        return DEV;
      }

      @Override
      public boolean readsData() {
        return false;
      }

      @Override
      public boolean any(long firstRow, int rows) {
        return dev.any(firstRow, rows);
      }

      @Override
      public short[] read(VectorSchemaRoot data, long firstRow, int rows) {
        return dev.read(firstRow, rows);
      }
    };
  }
}
