#include <stdio.h>

/* Starts trial division at 0: n % 0 is a division by zero (SIGFPE). */
int main(void)
{
    long long n;
    if (scanf("%lld", &n) != 1)
        return 1;
    for (volatile long long d = 0; d * d <= n; d++) {
        if (d != 1 && n % d == 0) {
            printf("%lld\n", (long long)d);
            return 0;
        }
    }
    return 0;
}
