# Speed calibration (docs/sandbox.md): fixed work, a sieve (memory, branches) and an LCG hash (integer
# arithmetic). Its CPU time on the reference host is in speed-reference.json; change the work, remake that.
N = 100000
ROUNDS = 8


def main():
    h, x, primes = 2166136261, 12345, 0
    for _ in range(ROUNDS):
        composite = bytearray(N)
        primes = 0
        for i in range(2, N):
            if not composite[i]:
                primes += 1
                for j in range(i * i, N, i):
                    composite[j] = 1
        for _ in range(N):
            x = (x * 1103515245 + 12345) & 0xFFFFFFFF
            h = ((h ^ (x >> 16)) * 16777619) & 0xFFFFFFFF
    print(primes, h)


main()
