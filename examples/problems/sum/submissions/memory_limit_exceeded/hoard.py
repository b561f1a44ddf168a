a, b = map(int, input().split())
block = b"x" * (512 << 20)
print(a + b, len(block))
