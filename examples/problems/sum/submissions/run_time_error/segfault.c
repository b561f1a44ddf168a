#include <stdio.h>

int main(void)
{
    int *nowhere = NULL;
    long long a, b;
    scanf("%lld %lld", &a, &b);
    *nowhere = (int)(a + b);
    return 0;
}
