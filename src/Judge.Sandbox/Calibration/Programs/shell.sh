# Speed calibration (docs/sandbox.md): fixed work, a sieve (memory, branches) and an LCG hash (integer
# arithmetic). Its CPU time on the reference host is in speed-reference.json; change the work, remake that.
N=20000
ROUNDS=1
hash=2166136261 x=12345 primes=0
for ((round = 0; round < ROUNDS; round++)); do
  composite=()
  primes=0
  for ((i = 2; i < N; i++)); do
    if [[ -z ${composite[i]} ]]; then
      ((primes++))
      for ((j = i * i; j < N; j += i)); do composite[j]=1; done
    fi
  done
  for ((k = 0; k < N; k++)); do
    ((x = (x * 1103515245 + 12345) & 0xFFFFFFFF, hash = ((hash ^ (x >> 16)) * 16777619) & 0xFFFFFFFF))
  done
done
echo "$primes $hash"
