#include <stdio.h>

/* The comma is part of the expected output. */
int main(void)
{
    puts("Hello World!");
    return 0;
}
