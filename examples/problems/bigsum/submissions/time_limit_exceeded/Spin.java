import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.math.BigInteger;

public class Spin {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        String[] parts = in.readLine().trim().split("\\s+");
        BigInteger sum = new BigInteger(parts[0]).add(new BigInteger(parts[1]));
        // Counts up forever before printing.
        long spins = 0;
        while (spins >= 0) {
            spins = (spins + 1) & Long.MAX_VALUE;
        }
        System.out.println(sum);
    }
}
