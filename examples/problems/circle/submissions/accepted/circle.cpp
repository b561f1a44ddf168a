#include <cmath>
#include <iomanip>
#include <iostream>

int main()
{
    double r;
    std::cin >> r;
    const double pi = std::acos(-1.0);
    // 15 significant digits; small areas come out as 3.14159265358979e-06.
    std::cout << std::setprecision(15) << pi * r * r << '\n';
}
