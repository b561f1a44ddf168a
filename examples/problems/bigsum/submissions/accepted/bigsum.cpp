// Signed big integers as a sign and decimal digits, least significant first.
#include <bits/stdc++.h>
using namespace std;

struct Big {
    bool negative = false;
    vector<int> digits;
};

Big parse(const string& s) {
    Big x;
    x.negative = s[0] == '-';
    for (size_t i = s.size(); i-- > (x.negative ? 1u : 0u);) x.digits.push_back(s[i] - '0');
    return x;
}

// |x| < |y|
bool smaller(const vector<int>& x, const vector<int>& y) {
    if (x.size() != y.size()) return x.size() < y.size();
    return lexicographical_compare(x.rbegin(), x.rend(), y.rbegin(), y.rend());
}

vector<int> add(const vector<int>& x, const vector<int>& y) {
    vector<int> r;
    int carry = 0;
    for (size_t i = 0; i < max(x.size(), y.size()) || carry; i++) {
        int v = carry + (i < x.size() ? x[i] : 0) + (i < y.size() ? y[i] : 0);
        r.push_back(v % 10);
        carry = v / 10;
    }
    return r;
}

// |x| - |y| for |x| >= |y|
vector<int> subtract(const vector<int>& x, const vector<int>& y) {
    vector<int> r;
    int borrow = 0;
    for (size_t i = 0; i < x.size(); i++) {
        int v = x[i] - borrow - (i < y.size() ? y[i] : 0);
        borrow = v < 0;
        r.push_back(v < 0 ? v + 10 : v);
    }
    while (r.size() > 1 && r.back() == 0) r.pop_back();
    return r;
}

int main() {
    string sa, sb;
    cin >> sa >> sb;
    Big a = parse(sa), b = parse(sb), sum;
    if (a.negative == b.negative) {
        sum.digits = add(a.digits, b.digits);
        sum.negative = a.negative;
    } else if (smaller(a.digits, b.digits)) {
        sum.digits = subtract(b.digits, a.digits);
        sum.negative = b.negative;
    } else {
        sum.digits = subtract(a.digits, b.digits);
        sum.negative = a.negative;
    }
    if (sum.digits == vector<int>{0}) sum.negative = false;
    string out = sum.negative ? "-" : "";
    for (size_t i = sum.digits.size(); i-- > 0;) out += char('0' + sum.digits[i]);
    cout << out << '\n';
}
