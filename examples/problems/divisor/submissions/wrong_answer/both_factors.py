# Prints the factorization "d n/d": only d was asked for, and the validator rejects the extra number.
n = int(input())
d = 2
while n % d:
    d += 1
print(d, n // d)
