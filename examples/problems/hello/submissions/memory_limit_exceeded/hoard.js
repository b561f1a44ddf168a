// 600 MiB filled with ones (so every page is written), outside V8's heap: above the 256 MiB limit.
const block = Buffer.alloc(600 << 20, 1);
console.log("Hello, World!");
console.log(block.length);
