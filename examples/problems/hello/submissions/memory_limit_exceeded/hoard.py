# 600 MiB of bytes, written when created: far above the 256 MiB limit.
block = b"x" * (600 << 20)
print("Hello, World!")
print(len(block))
