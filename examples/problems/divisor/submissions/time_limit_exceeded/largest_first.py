# Counts down from n - 1 to the largest proper divisor: up to 10^12 steps.
n = int(input())
d = n - 1
while n % d:
    d -= 1
print(d)
