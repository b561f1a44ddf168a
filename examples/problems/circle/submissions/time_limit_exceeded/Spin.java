import java.io.BufferedReader;
import java.io.InputStreamReader;

public class Spin {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        double r = Double.parseDouble(in.readLine().trim());
        // Waits for something that never happens.
        while (r > 0) {
            Thread.onSpinWait();
        }
        System.out.printf("%.10f%n", Math.PI * r * r);
    }
}
