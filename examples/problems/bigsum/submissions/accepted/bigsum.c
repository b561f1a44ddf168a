/* Schoolbook addition and subtraction on decimal digit strings. */
#include <stdio.h>
#include <string.h>

#define MAXD 1002

/* Compares two magnitudes, digit strings without leading zeros. */
static int compare(const char *x, const char *y)
{
    size_t lx = strlen(x), ly = strlen(y);
    if (lx != ly)
        return lx < ly ? -1 : 1;
    return strcmp(x, y);
}

/* Writes x + y, or x - y when subtract (then x >= y), into out with the least significant digit
   first, and returns the number of digits without leading zeros. */
static int combine(const char *x, const char *y, int subtract, char *out)
{
    int i = (int)strlen(x) - 1, j = (int)strlen(y) - 1, carry = 0, n = 0;
    while (i >= 0 || j >= 0 || carry) {
        int d = i >= 0 ? x[i--] - '0' : 0;
        int e = j >= 0 ? y[j--] - '0' : 0;
        int v = subtract ? d - e - carry : d + e + carry;
        carry = subtract ? v < 0 : v >= 10;
        out[n++] = (char)('0' + (v + 10) % 10);
    }
    while (n > 1 && out[n - 1] == '0')
        n--;
    return n;
}

int main(void)
{
    static char a[MAXD + 1], b[MAXD + 1], out[MAXD + 2];
    if (scanf("%1002s %1002s", a, b) != 2)
        return 1;
    int na = a[0] == '-', nb = b[0] == '-';
    const char *x = a + na, *y = b + nb;
    int negative, n;
    if (na == nb) {
        n = combine(x, y, 0, out);
        negative = na;
    } else if (compare(x, y) >= 0) {
        n = combine(x, y, 1, out);
        negative = na;
    } else {
        n = combine(y, x, 1, out);
        negative = nb;
    }
    if (n == 1 && out[0] == '0')
        negative = 0;
    if (negative)
        putchar('-');
    while (n > 0)
        putchar(out[--n]);
    putchar('\n');
    return 0;
}
