import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.util.StringTokenizer;

public class Stuck {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        int n = Integer.parseInt(in.readLine().trim());
        long[] a = new long[n];
        StringTokenizer tokens = new StringTokenizer(in.readLine());
        for (int i = 0; i < n; i++) {
            a[i] = Long.parseLong(tokens.nextToken());
        }
        long best = a[0], current = 0;
        int i = 0;
        while (i < n) {
            current = Math.max(a[i], current + a[i]);
            best = Math.max(best, current);
            // Forgets i++: never leaves the first element.
        }
        System.out.println(best);
    }
}
