// Drops the exclamation mark: "World" is not "World!".
console.log("Hello, World");
