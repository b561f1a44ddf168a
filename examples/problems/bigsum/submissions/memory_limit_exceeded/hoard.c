#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Keeps a 600 MiB table and writes to every page of it (through a volatile pointer, so the compiler
   cannot drop the writes): far above the 128 MiB memory limit. */
int main(void)
{
    static char a[1100], b[1100];
    if (scanf("%1099s %1099s", a, b) != 2)
        return 1;
    size_t size = (size_t)600 << 20;
    volatile char *table = malloc(size);
    if (table == NULL)
        return 1;
    for (size_t i = 0; i < size; i += 4096)
        table[i] = a[i % strlen(a)];
    printf("%d\n", table[size - 4096]);
    return 0;
}
