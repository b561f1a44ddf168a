#include <iostream>
#include <string>

// std::stoll throws std::out_of_range for numbers beyond 19 digits; uncaught, it aborts the program.
int main()
{
    std::string a, b;
    std::cin >> a >> b;
    std::cout << std::stoll(a) + std::stoll(b) << '\n';
}
