# Tries every start and end with prefix sums: O(N^2), fine for group 1 (N <= 100, 30 points),
# far too slow for group 2 (N = 200000).
import sys

data = sys.stdin.read().split()
n = int(data[0])
a = list(map(int, data[1:n + 1]))
prefix = [0]
for x in a:
    prefix.append(prefix[-1] + x)
best = a[0]
for i in range(n):
    for j in range(i + 1, n + 1):
        best = max(best, prefix[j] - prefix[i])
print(best)
