// Trino's upper() and lower(): airlift's SliceUtf8.toUpperCase/toLowerCase map each code point
// with Character.toUpperCase(int)/toLowerCase(int). Each input line is a text (base64 of
// UTF-8); each output line is its upper and lower case (base64, tab-separated).
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Scanner;

public class CaseMap {
    static String map(String s, boolean upper) {
        StringBuilder out = new StringBuilder();
        s.codePoints().forEach(c -> out.appendCodePoint(
            upper ? Character.toUpperCase(c) : Character.toLowerCase(c)));
        return out.toString();
    }

    static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    public static void main(String[] args) {
        Scanner in = new Scanner(System.in, StandardCharsets.UTF_8);
        StringBuilder out = new StringBuilder();
        while (in.hasNextLine()) {
            String s = new String(Base64.getDecoder().decode(in.nextLine()), StandardCharsets.UTF_8);
            out.append(b64(map(s, true))).append('\t').append(b64(map(s, false))).append('\n');
        }
        System.out.print(out);
    }
}
