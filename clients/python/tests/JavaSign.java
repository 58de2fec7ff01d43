// Signs test cases with Sluice's own WebhookSignature (shared/core), for test_signature.py.
// Input on stdin, one case a line: secret TAB requestId TAB requestTime TAB base64(body as UTF-8).
// Output: one hex signature a line. Run with: java -cp <shared/core/target/classes> JavaSign.java
import dev.sluice.core.webhook.WebhookSignature;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

public class JavaSign {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null; ) {
            String[] f = line.split("\t", -1);
            String body = new String(Base64.getDecoder().decode(f[3]), StandardCharsets.UTF_8);
            System.out.println(WebhookSignature.sign(f[0], f[1], f[2], body));
        }
    }
}
