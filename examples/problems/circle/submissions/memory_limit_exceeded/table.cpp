#include <cmath>
#include <cstdio>
#include <iostream>
#include <vector>

// Tabulates the area of every radius in steps of 1e-5 up to 1000: 10^8 doubles (800 MB, each one
// written) against a 256 MiB limit.
int main()
{
    double r;
    std::cin >> r;
    const double pi = std::acos(-1.0), step = 1e-5;
    std::vector<double> area(100000001);
    for (size_t i = 0; i < area.size(); i++) area[i] = pi * (i * step) * (i * step);
    size_t i = (size_t)std::llround(r / step);
    std::printf("%.10f\n", i < area.size() ? area[i] : pi * r * r);
}
