#include <stdio.h>

/* PI is nowhere defined (math.h calls it M_PI, and is not even included): 'PI' undeclared. */
int main(void)
{
    double r;
    if (scanf("%lf", &r) != 1)
        return 1;
    printf("%.10f\n", PI * r * r);
    return 0;
}
