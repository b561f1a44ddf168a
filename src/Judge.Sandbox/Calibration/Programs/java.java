// Speed calibration (docs/sandbox.md): fixed work, a sieve (memory, branches) and an LCG hash (integer
// arithmetic). Its CPU time on the reference host is in speed-reference.json; change the work, remake that.
public class Main {
    static final int N = 1000000;
    static final int ROUNDS = 25;

    public static void main(String[] args) {
        int hash = (int) 2166136261L, x = 12345;
        long primes = 0;
        for (int round = 0; round < ROUNDS; round++) {
            boolean[] composite = new boolean[N];
            primes = 0;
            for (long i = 2; i < N; i++) {
                if (!composite[(int) i]) {
                    primes++;
                    for (long j = i * i; j < N; j += i) composite[(int) j] = true;
                }
            }
            for (int k = 0; k < N; k++) {
                x = x * 1103515245 + 12345;
                hash = (hash ^ (x >>> 16)) * 16777619;
            }
        }
        System.out.println(primes + " " + Integer.toUnsignedString(hash));
    }
}
