# Expects the numbers on separate lines: int() of "1 2" raises ValueError.
a = int(input())
b = int(input())
print(a + b)
