public class Throws {
    public static void main(String[] args) {
        System.out.println("Hello, World!");
        // An uncaught exception: the JVM exits with status 1 after the right output.
        throw new IllegalStateException("goodbye");
    }
}
