# A sieve of Eratosthenes up to 10^7 as a list of Python bools: 8 bytes a slot, 80 MB, over the
# 64 MiB limit before a single prime is crossed off.
LIMIT = 10**7
n = int(input())
composite = [False] * (LIMIT + 1)
for p in range(2, LIMIT + 1):
    if not composite[p]:
        if n % p == 0:
            print(p)
            break
        for m in range(p * p, LIMIT + 1, p):
            composite[m] = True
