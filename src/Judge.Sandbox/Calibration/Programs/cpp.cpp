// Speed calibration (docs/sandbox.md): fixed work, a sieve (memory, branches) and an LCG hash (integer
// arithmetic). Its CPU time on the reference host is in speed-reference.json; change the work, remake that.
#include <cstdint>
#include <iostream>
#include <vector>

int main()
{
    const long n = 1000000;
    const int rounds = 80;
    std::uint32_t hash = 2166136261u, x = 12345;
    long primes = 0;
    std::vector<char> composite(n);
    for (int round = 0; round < rounds; round++) {
        std::fill(composite.begin(), composite.end(), 0);
        primes = 0;
        for (long i = 2; i < n; i++) {
            if (!composite[i]) {
                primes++;
                for (long j = i * i; j < n; j += i)
                    composite[j] = 1;
            }
        }
        for (long k = 0; k < n; k++) {
            x = x * 1103515245u + 12345u;
            hash = (hash ^ (x >> 16)) * 16777619u;
        }
    }
    std::cout << primes << ' ' << hash << '\n';
}
