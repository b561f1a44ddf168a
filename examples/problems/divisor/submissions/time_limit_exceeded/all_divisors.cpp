#include <iostream>
#include <vector>

// Collects every divisor by trying all d up to n: 10^12 steps for the large tests.
int main()
{
    long long n;
    std::cin >> n;
    std::vector<long long> divisors;
    for (long long d = 1; d <= n; d++)
        if (n % d == 0) divisors.push_back(d);
    std::cout << divisors[1] << '\n';
}
