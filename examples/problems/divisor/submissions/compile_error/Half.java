import java.io.BufferedReader;
import java.io.InputStreamReader;

public class Half {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        long n = Long.parseLong(in.readLine().trim());
        // javac: incompatible types: possible lossy conversion from long to int.
        int d = 2;
        while (n % d != 0) {
            d = d + 1L;
        }
        System.out.println(d);
    }
}
