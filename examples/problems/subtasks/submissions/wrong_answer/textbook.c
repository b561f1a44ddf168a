#include <stdio.h>

/* The textbook loop, twice wrong here: it allows the empty subarray (so all-negative input gives 0),
   and int overflows once a sum passes 2^31 - 1. Every secret test hits one or the other. */
int main(void)
{
    int n, a, best = 0, current = 0;
    if (scanf("%d", &n) != 1)
        return 1;
    for (int i = 0; i < n; i++) {
        if (scanf("%d", &a) != 1)
            return 1;
        current += a;
        if (current < 0)
            current = 0;
        if (current > best)
            best = current;
    }
    printf("%d\n", best);
    return 0;
}
