/* Speed calibration (docs/sandbox.md): fixed work, a sieve (memory, branches) and an LCG hash (integer
   arithmetic). Its CPU time on the reference host is in speed-reference.json; change the work, remake that. */
#include <stdio.h>
#include <string.h>

#define N 1000000
#define ROUNDS 80

static unsigned char composite[N];

int main(void)
{
    unsigned int hash = 2166136261u, x = 12345;
    long primes = 0;
    for (int round = 0; round < ROUNDS; round++) {
        memset(composite, 0, sizeof composite);
        primes = 0;
        for (long i = 2; i < N; i++) {
            if (!composite[i]) {
                primes++;
                for (long j = i * i; j < N; j += i)
                    composite[j] = 1;
            }
        }
        for (long k = 0; k < N; k++) {
            x = x * 1103515245u + 12345u;
            hash = (hash ^ (x >> 16)) * 16777619u;
        }
    }
    printf("%ld %u\n", primes, hash);
    return 0;
}
