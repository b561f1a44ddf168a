// Never gets round to printing.
for (;;) {}
console.log("Hello, World!");
