// Java's own String.format, the independent implementation Trino's format() calls: each input
// line is a format and typed arguments (tab-separated, base64 where text); each output line is
// the formatted text (base64) or the exception's toString().
import java.math.BigDecimal;
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
            default: throw new IllegalArgumentException(arg);
        }
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
                String s = String.format(Locale.ENGLISH, text(parts[0]), values.toArray());
                out = "OK " + Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
            } catch (Exception e) {
                out = "ERR " + e;
            }
            System.out.println(out);
        }
    }
}
