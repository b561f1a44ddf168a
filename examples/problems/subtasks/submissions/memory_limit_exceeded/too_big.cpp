#include <algorithm>
#include <cstdio>
#include <vector>

// Sizes its array for 10^8 numbers instead of 2 * 10^5: 800 MB of zeroed long longs against a
// 256 MiB limit, on every test.
const int MAXN = 100000000;

int main()
{
    std::vector<long long> a(MAXN);
    int n;
    if (std::scanf("%d", &n) != 1) return 1;
    for (int i = 0; i < n; i++) std::scanf("%lld", &a[i]);
    long long current = a[0], best = a[0];
    for (int i = 1; i < n; i++) {
        current = std::max(a[i], current + a[i]);
        best = std::max(best, current);
    }
    std::printf("%lld\n", best);
}
