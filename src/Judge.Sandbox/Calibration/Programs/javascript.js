// Speed calibration (docs/sandbox.md): fixed work, a sieve (memory, branches) and an LCG hash (integer
// arithmetic). Its CPU time on the reference host is in speed-reference.json; change the work, remake that.
const N = 1000000;
const ROUNDS = 20;
let hash = 2166136261, x = 12345, primes = 0;
for (let round = 0; round < ROUNDS; round++) {
  const composite = new Uint8Array(N);
  primes = 0;
  for (let i = 2; i < N; i++) {
    if (!composite[i]) {
      primes++;
      for (let j = i * i; j < N; j += i) composite[j] = 1;
    }
  }
  for (let k = 0; k < N; k++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    hash = Math.imul(hash ^ (x >>> 16), 16777619) >>> 0;
  }
}
console.log(primes + ' ' + hash);
