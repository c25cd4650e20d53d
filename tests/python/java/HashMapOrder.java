// The order a java.util.HashMap iterates its keys in, the order Trino's json_object writes its
// members in (JsonObjectFunction keeps them in a HashMap): each input line is keys
// (tab-separated, base64 of UTF-8), put in that order; each output line is the same keys
// (base64) in the map's iteration order.
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Scanner;

public class HashMapOrder {
    public static void main(String[] args) {
        Scanner in = new Scanner(System.in, StandardCharsets.UTF_8);
        StringBuilder out = new StringBuilder();
        while (in.hasNextLine()) {
            String line = in.nextLine();
            Map<String, Integer> map = new HashMap<>();
            if (!line.isEmpty()) {
                for (String b64 : line.split("\t", -1)) {
                    map.put(new String(Base64.getDecoder().decode(b64), StandardCharsets.UTF_8), 0);
                }
            }
            List<String> keys = new ArrayList<>();
            for (String k : map.keySet()) {
                keys.add(Base64.getEncoder().encodeToString(k.getBytes(StandardCharsets.UTF_8)));
            }
            out.append(String.join("\t", keys)).append('\n');
        }
        System.out.print(out);
    }
}
