#include <stdio.h>

/* n does not fit in an int: the digits past 2^31 are lost, and so is the divisor. */
int main(void)
{
    int n;
    if (scanf("%d", &n) != 1)
        return 1;
    for (int d = 2; d * d <= n; d++) {
        if (n % d == 0) {
            printf("%d\n", d);
            return 0;
        }
    }
    printf("%d\n", n);
    return 0;
}
