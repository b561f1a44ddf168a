import sys

a, b = map(int, input().split())
line = str(a + b) * 100 + "\n"
while True:
    sys.stdout.write(line)
