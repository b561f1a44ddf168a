const n = BigInt(require('fs').readFileSync(0, 'utf8').trim());
// Trial division with BigInt, forgetting to step d: loops forever once n is odd.
let d = 2n;
while (n % d !== 0n) {
    // d += 1n;
}
console.log(d.toString());
