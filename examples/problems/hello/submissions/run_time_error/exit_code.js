console.log("Hello, World!");
// The right output, but a nonzero exit status is a run-time error.
process.exit(3);
