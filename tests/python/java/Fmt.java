// Java's own String.format, the independent implementation Trino's format() calls: each input
// line is a format and typed arguments (tab-separated, base64 where text); each output line is
// the formatted text (base64) or the exception's toString(). The formats `CAST(double)` and
// `CAST(real)` instead give Trino's CAST of the one argument to varchar, which is Java's
// DecimalFormat (Trino's ToVarchar.fromDouble / fromReal).
import java.math.BigDecimal;
import java.text.DecimalFormat;
import java.text.DecimalFormatSymbols;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Scanner;

public class Fmt {
    static String text(String b64) {
        return new String(Base64.getDecoder().decode(b64), StandardCharsets.UTF_8);
    }

    static Object value(String arg) {
        String kind = arg.substring(0, 1), v = arg.substring(2);
        switch (kind) {
            case "N": return null;
            case "L": return Long.parseLong(v);
            case "D": return Double.longBitsToDouble(Long.parseUnsignedLong(v, 16));
            case "F": return Float.intBitsToFloat(Integer.parseUnsignedInt(v, 16));
            case "M": return new BigDecimal(v);
            case "S": return text(v);
            case "B": return Boolean.parseBoolean(v);
            case "A": return LocalDate.parse(v);
            case "T": return LocalDateTime.parse(v);
            // A timestamp with a time zone: milliseconds since the epoch and the zone's id.
            case "Z": {
                String[] parts = v.split("@", 2);
                return java.time.ZonedDateTime.ofInstant(
                    java.time.Instant.ofEpochMilli(Long.parseLong(parts[0])),
                    java.time.ZoneId.of(parts[1]));
            }
            default: throw new IllegalArgumentException(arg);
        }
    }

    static String cast(String format, Object value) {
        double v = value instanceof Float ? Double.parseDouble(Float.toString((Float) value)) : (Double) value;
        if (v == 0e0) {
            return 1e0 / v > 0 ? "0E0" : "-0E0";
        }
        if (Double.isInfinite(v)) {
            return v > 0 ? "Infinity" : "-Infinity";
        }
        String pattern = format.equals("CAST(real)") ? "0.0#####E0" : "0.0###################E0";
        return new DecimalFormat(pattern, DecimalFormatSymbols.getInstance(Locale.US)).format(v);
    }

    public static void main(String[] args) {
        Scanner in = new Scanner(System.in, StandardCharsets.UTF_8);
        while (in.hasNextLine()) {
            String[] parts = in.nextLine().split("\t", -1);
            List<Object> values = new ArrayList<>();
            for (int i = 1; i < parts.length; i++) {
                values.add(value(parts[i]));
            }
            String out;
            try {
                String format = text(parts[0]);
                String s = format.startsWith("CAST(")
                        ? cast(format, values.get(0))
                        : String.format(Locale.ENGLISH, format, values.toArray());
                out = "OK " + Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
            } catch (Exception e) {
                out = "ERR " + e;
            }
            System.out.println(out);
        }
    }
}
