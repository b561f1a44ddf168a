#include <stdio.h>

/* Kadane: the best sum ending at each position, in 64 bits (sums reach 2 * 10^14). */
int main(void)
{
    int n;
    if (scanf("%d", &n) != 1)
        return 1;
    long long best = 0, current = 0;
    for (int i = 0; i < n; i++) {
        long long a;
        if (scanf("%lld", &a) != 1)
            return 1;
        current = i == 0 || current < 0 ? a : current + a;
        if (i == 0 || current > best)
            best = current;
    }
    printf("%lld\n", best);
    return 0;
}
