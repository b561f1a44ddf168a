#include <math.h>
#include <stdio.h>

/* Integrates the quarter circle in 10^12 strips: exact enough, but never finishes. */
int main(void)
{
    double r;
    if (scanf("%lf", &r) != 1)
        return 1;
    const long long strips = 1000000000000LL;
    double width = r / strips, quarter = 0;
    for (long long i = 0; i < strips; i++) {
        double x = (i + 0.5) * width;
        quarter += sqrt(r * r - x * x) * width;
    }
    printf("%.10f\n", 4 * quarter);
    return 0;
}
