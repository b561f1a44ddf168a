// Output validator for "divisor", Kattis interface:
//
//     check input_file answer_file feedback_dir [flags] < team_output
//
// Accepts (exit 42) when the team's output is one integer d with 1 < d < n that divides n, and nothing
// but whitespace after it. Otherwise writes the reason to feedback_dir/judgemessage.txt and rejects
// (exit 43). Any answer works, so the answer file (one valid divisor) is not needed and not read.
// Anything else (bad arguments, an unreadable input file) is the validator's own failure: exit 1.
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>

namespace {

std::string feedback_dir;

[[noreturn]] void reject(const std::string& why)
{
    std::string path = feedback_dir;
    if (!path.empty() && path.back() != '/') path += '/';
    std::ofstream message(path + "judgemessage.txt");
    message << why << '\n';
    message.close();  // std::exit does not run the destructor
    std::exit(43);
}

[[noreturn]] void fail(const std::string& why)
{
    std::cerr << "check: " << why << '\n';
    std::exit(1);
}

// Shows at most 40 bytes of what the team printed, unprintable bytes as '?'.
std::string shown(const std::string& text)
{
    std::string out;
    for (size_t i = 0; i < text.size() && i < 40; i++) out += std::isprint((unsigned char)text[i]) ? text[i] : '?';
    return "'" + out + (text.size() > 40 ? "...'" : "'");
}

}  // namespace

int main(int argc, char** argv)
{
    if (argc < 4) fail("usage: check input_file answer_file feedback_dir [flags] < team_output");
    feedback_dir = argv[3];

    std::ifstream input(argv[1]);
    long long n;
    if (!(input >> n) || n < 4) fail(std::string("cannot read n (at least 4) from ") + argv[1]);

    // The output limit bounds what can arrive here.
    const std::string output((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    size_t pos = 0;
    while (pos < output.size() && std::isspace((unsigned char)output[pos])) pos++;
    if (pos == output.size()) reject("no output: expected a divisor of " + std::to_string(n));

    size_t end = pos;
    while (end < output.size() && !std::isspace((unsigned char)output[end])) end++;
    const std::string token = output.substr(pos, end - pos);

    // An optional sign, then decimal digits only.
    size_t digits = token[0] == '-' || token[0] == '+' ? 1 : 0;
    if (digits == token.size()) reject("not an integer: " + shown(token));
    for (size_t i = digits; i < token.size(); i++) {
        if (!std::isdigit((unsigned char)token[i])) reject("not an integer: " + shown(token));
    }
    if (token[0] == '-') reject(shown(token) + " is negative: expected d with 1 < d < " + std::to_string(n));

    // Leading zeros are harmless; more than 13 significant digits is certainly too large (n <= 10^12).
    while (digits + 1 < token.size() && token[digits] == '0') digits++;
    if (token.size() - digits > 13) reject(shown(token) + " is not less than n = " + std::to_string(n));
    const long long d = std::stoll(token.substr(digits));

    if (d <= 1 || d >= n) reject(std::to_string(d) + " is not strictly between 1 and n = " + std::to_string(n));
    if (n % d != 0) reject(std::to_string(d) + " does not divide " + std::to_string(n) + " (remainder " + std::to_string(n % d) + ")");

    pos = end;
    while (pos < output.size() && std::isspace((unsigned char)output[pos])) pos++;
    if (pos < output.size()) {
        end = pos;
        while (end < output.size() && !std::isspace((unsigned char)output[end])) end++;
        reject("more output after the divisor " + std::to_string(d) + ": " + shown(output.substr(pos, end - pos)));
    }
    return 42;
}
