public class Twice {
    public static void main(String[] args) {
        // One greeting too many: the judge's answer ends after the first.
        for (int i = 0; i < 2; i++) {
            System.out.println("Hello, World!");
        }
    }
}
