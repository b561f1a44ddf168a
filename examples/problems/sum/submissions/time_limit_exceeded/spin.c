#include <stdio.h>

int main(void)
{
    long long a, b;
    scanf("%lld %lld", &a, &b);
    for (volatile unsigned long i = 0;; i++)
        ;
    printf("%lld\n", a + b);
    return 0;
}
