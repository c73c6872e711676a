package liberta.spark;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.api.java.UDF1;

/**
 * The fast path of Liberta's validation: one streaming pass over a raw line that hands over
 * the contract fields already typed, but ONLY for a plain record, and null for anything else.
 *
 * <p>A record is plain when the line is one JSON object (first byte '{', nothing but spaces
 * after it, valid UTF-8), `data` is an object, `user_meta` an object or null or absent, no
 * contract field (and neither `data` nor `user_meta`) occurs twice, there is no top-level
 * `_corrupt_record` key, and every contract field is absent, null, or a JSON token its kind
 * reads without doubt:
 *
 * <ul>
 *   <li>"string": a string;
 *   <li>"long", "long_or_fraction": an integer in the 64-bit range, or a float the exact path
 *       reads as such an integer (see `integralValue`); another float reads as null for
 *       "long_or_fraction" (the caller also reads that field as a "double", which shows it
 *       present) and is not plain for "long";
 *   <li>"double": an integer in the 64-bit range or a finite float;
 *   <li>"bool": true, false, or an ASCII string ("true"/"false" in any case with spaces around
 *       them, null for any other text);
 *   <li>"object": an object, handed over as its JSON text written the way Spark writes a
 *       nested value.
 * </ul>
 *
 * <p>For a plain record every value equals what the job's Spark expressions compute from
 * `from_json`'s text of the field (`emr_jobs.validate`), and no structural check fails; the
 * record's validity is then decided by the same expressions, on these values. Every record
 * that is not plain (the unusual and the broken ones) returns null and takes the exact path.
 * Decides nothing about the contract beyond token kinds: field names and kinds come from the
 * caller (`emr_jobs.plain_parse`).
 */
public final class PlainRecordParser implements UDF1<byte[], Row> {
  private static final long serialVersionUID = 1L;

  private static final int STRING = 0;
  private static final int LONG = 1;
  private static final int DOUBLE = 2;
  private static final int BOOL = 3;
  private static final int OBJECT = 4;
  private static final int LONG_OR_FRACTION = 5;

  /** DECIMAL(38,18) holds less than 10^20. */
  private static final BigDecimal DECIMAL_LIMIT = BigDecimal.TEN.pow(20);

  private final String[] paths;
  private final int[] kinds;
  private transient JsonFactory factory;
  private transient Map<String, int[]> top;
  private transient Map<String, int[]> data;
  private transient Map<String, int[]> userMeta;

  /**
   * @param paths contract fields, `name`, `data.name` or `user_meta.name`; one output value
   *     each, in this order (a field may be listed twice with different kinds)
   * @param kinds "string", "long", "double", "bool" or "object", one per path
   */
  public PlainRecordParser(String[] paths, String[] kinds) {
    if (paths.length != kinds.length) {
      throw new IllegalArgumentException("one kind per path is required");
    }
    this.paths = paths.clone();
    this.kinds = new int[kinds.length];
    for (int i = 0; i < kinds.length; i++) {
      this.kinds[i] = kindOf(kinds[i]);
    }
  }

  private static int kindOf(String kind) {
    switch (kind) {
      case "string":
        return STRING;
      case "long":
        return LONG;
      case "double":
        return DOUBLE;
      case "bool":
        return BOOL;
      case "object":
        return OBJECT;
      case "long_or_fraction":
        return LONG_OR_FRACTION;
      default:
        throw new IllegalArgumentException("unknown kind: " + kind);
    }
  }

  private void init() {
    factory = new JsonFactory();
    top = new HashMap<>();
    data = new HashMap<>();
    userMeta = new HashMap<>();
    for (int i = 0; i < paths.length; i++) {
      String path = paths[i];
      Map<String, int[]> scope = top;
      String name = path;
      if (path.startsWith("data.")) {
        scope = data;
        name = path.substring(5);
      } else if (path.startsWith("user_meta.")) {
        scope = userMeta;
        name = path.substring(10);
      }
      int[] slots = scope.get(name);
      int[] grown = new int[slots == null ? 1 : slots.length + 1];
      if (slots != null) {
        System.arraycopy(slots, 0, grown, 0, slots.length);
      }
      grown[grown.length - 1] = i;
      scope.put(name, grown);
    }
  }

  /** Thrown (without a stack trace) when the record is not plain. */
  private static final class NotPlain extends Exception {
    private static final long serialVersionUID = 1L;
    static final NotPlain INSTANCE = new NotPlain();

    private NotPlain() {
      super(null, null, false, false);
    }
  }

  @Override
  public Row call(byte[] line) {
    if (line == null || line.length == 0 || line[0] != '{') {
      return null;
    }
    if (factory == null) {
      init();
    }
    Object[] values = new Object[paths.length];
    boolean[] seen = new boolean[paths.length];
    try (JsonParser parser = factory.createParser(line)) {
      parser.nextToken(); // START_OBJECT
      boolean dataSeen = false;
      boolean userMetaSeen = false;
      JsonToken token;
      while ((token = parser.nextToken()) == JsonToken.FIELD_NAME) {
        String name = parser.getCurrentName();
        JsonToken value = parser.nextToken();
        if (name.equals("data")) {
          if (dataSeen || value != JsonToken.START_OBJECT) {
            return null;
          }
          dataSeen = true;
          readObject(parser, data, values, seen);
        } else if (name.equals("user_meta")) {
          if (userMetaSeen) {
            return null;
          }
          userMetaSeen = true;
          if (value == JsonToken.START_OBJECT) {
            readObject(parser, userMeta, values, seen);
          } else if (value != JsonToken.VALUE_NULL) {
            return null;
          }
        } else if (name.equals("_corrupt_record")) {
          return null;
        } else {
          readField(parser, top.get(name), value, values, seen);
        }
      }
      if (token != JsonToken.END_OBJECT || !dataSeen) {
        return null;
      }
      // Only spaces may follow the object (Spark's check for glued or trailing text).
      long end = parser.getTokenLocation().getByteOffset() + 1;
      for (long i = end; i < line.length; i++) {
        if (line[(int) i] != ' ') {
          return null;
        }
      }
    } catch (NotPlain | IOException | RuntimeException e) {
      return null;
    }
    return RowFactory.create(values);
  }

  private void readObject(JsonParser parser, Map<String, int[]> scope, Object[] values,
      boolean[] seen) throws IOException, NotPlain {
    while (parser.nextToken() == JsonToken.FIELD_NAME) {
      int[] slots = scope.get(parser.getCurrentName());
      JsonToken value = parser.nextToken();
      readField(parser, slots, value, values, seen);
    }
  }

  private void readField(JsonParser parser, int[] slots, JsonToken value, Object[] values,
      boolean[] seen) throws IOException, NotPlain {
    if (slots == null) {
      parser.skipChildren();
      return;
    }
    String objectText = null;
    for (int slot : slots) {
      if (seen[slot]) {
        throw NotPlain.INSTANCE;
      }
      seen[slot] = true;
      if (value == JsonToken.VALUE_NULL) {
        continue;
      }
      switch (kinds[slot]) {
        case STRING:
          if (value != JsonToken.VALUE_STRING) {
            throw NotPlain.INSTANCE;
          }
          values[slot] = parser.getText();
          break;
        case LONG:
          values[slot] = longValue(parser, value, false);
          break;
        case LONG_OR_FRACTION:
          values[slot] = longValue(parser, value, true);
          break;
        case DOUBLE:
          values[slot] = doubleValue(parser, value);
          break;
        case BOOL:
          values[slot] = boolValue(parser, value);
          break;
        default: // OBJECT
          if (value != JsonToken.START_OBJECT) {
            throw NotPlain.INSTANCE;
          }
          if (objectText == null) {
            objectText = objectText(parser);
          }
          values[slot] = objectText;
      }
    }
  }

  private static Long longValue(JsonParser parser, JsonToken value, boolean fractionIsNull)
      throws IOException, NotPlain {
    if (value == JsonToken.VALUE_NUMBER_INT) {
      JsonParser.NumberType type = parser.getNumberType();
      if (type == JsonParser.NumberType.INT || type == JsonParser.NumberType.LONG) {
        return parser.getLongValue();
      }
      throw NotPlain.INSTANCE;
    }
    if (value == JsonToken.VALUE_NUMBER_FLOAT) {
      Long integral = integralValue(parser.getDoubleValue());
      if (integral != null) {
        return integral;
      }
      if (fractionIsNull) {
        return null;
      }
    }
    throw NotPlain.INSTANCE;
  }

  /**
   * The integer the exact path reads from a float, or null when it reads none (a fraction,
   * or beyond 64 bits). Spark hands the float over as the text of its double
   * (`Double.toString`: 99.0, 1e2 and 99.00000000000000001 all become integral text). Plain
   * notation is an integer when its fraction is all zeros; the scientific notation is read as
   * DECIMAL(38,18): rounded half up to 18 places (so 1e-21 reads as 0), nothing from 10^20 on.
   */
  private static Long integralValue(double d) throws NotPlain {
    if (!Double.isFinite(d)) {
      throw NotPlain.INSTANCE;
    }
    String text = Double.toString(d);
    BigDecimal exact = new BigDecimal(text);
    if (text.indexOf('E') >= 0) {
      exact = exact.setScale(18, RoundingMode.HALF_UP);
      if (exact.abs().compareTo(DECIMAL_LIMIT) >= 0) {
        return null;
      }
    }
    if (exact.signum() != 0 && exact.stripTrailingZeros().scale() > 0) {
      return null;
    }
    try {
      return exact.longValueExact();
    } catch (ArithmeticException outOfRange) {
      return null;
    }
  }

  private static Boolean boolValue(JsonParser parser, JsonToken value)
      throws IOException, NotPlain {
    if (value == JsonToken.VALUE_TRUE) {
      return Boolean.TRUE;
    }
    if (value == JsonToken.VALUE_FALSE) {
      return Boolean.FALSE;
    }
    if (value != JsonToken.VALUE_STRING) {
      throw NotPlain.INSTANCE;
    }
    // As the exact path reads a string: spaces trimmed, any case; ASCII only, to stay clear
    // of case mappings that differ between Java's and Spark's lower-casing.
    String text = parser.getText();
    int start = 0;
    int end = text.length();
    while (start < end && text.charAt(start) == ' ') {
      start++;
    }
    while (end > start && text.charAt(end - 1) == ' ') {
      end--;
    }
    for (int i = start; i < end; i++) {
      if (text.charAt(i) > 127) {
        throw NotPlain.INSTANCE;
      }
    }
    String word = text.substring(start, end);
    if (word.equalsIgnoreCase("true")) {
      return Boolean.TRUE;
    }
    if (word.equalsIgnoreCase("false")) {
      return Boolean.FALSE;
    }
    return null;
  }

  private static Double doubleValue(JsonParser parser, JsonToken value)
      throws IOException, NotPlain {
    if (value == JsonToken.VALUE_NUMBER_INT) {
      JsonParser.NumberType type = parser.getNumberType();
      if (type == JsonParser.NumberType.INT || type == JsonParser.NumberType.LONG) {
        return (double) parser.getLongValue();
      }
    } else if (value == JsonToken.VALUE_NUMBER_FLOAT) {
      double d = parser.getDoubleValue();
      if (Double.isFinite(d)) {
        return d;
      }
    }
    throw NotPlain.INSTANCE;
  }

  /** The object's JSON text, written the way Spark's `from_json` writes a nested value. */
  private String objectText(JsonParser parser) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (JsonGenerator generator = factory.createGenerator(out, JsonEncoding.UTF8)) {
      generator.copyCurrentStructure(parser);
    }
    return new String(out.toByteArray(), StandardCharsets.UTF_8);
  }
}
