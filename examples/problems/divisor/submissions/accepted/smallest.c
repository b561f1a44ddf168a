#include <stdio.h>

/* A composite n has a divisor d with d * d <= n: the smallest one is found within 10^6 steps. */
int main(void)
{
    long long n;
    if (scanf("%lld", &n) != 1)
        return 1;
    for (long long d = 2; d * d <= n; d++) {
        if (n % d == 0) {
            printf("%lld\n", d);
            return 0;
        }
    }
    return 1; /* n is prime: not a valid input */
}
