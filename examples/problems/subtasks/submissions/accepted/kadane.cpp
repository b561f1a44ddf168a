#include <algorithm>
#include <cstdio>
#include <vector>

// Kadane over the whole array: best sum of a non-empty subarray ending at i, in 64 bits.
int main()
{
    int n;
    if (std::scanf("%d", &n) != 1) return 1;
    std::vector<long long> a(n);
    for (auto& x : a) std::scanf("%lld", &x);
    long long current = a[0], best = a[0];
    for (int i = 1; i < n; i++) {
        current = std::max(a[i], current + a[i]);
        best = std::max(best, current);
    }
    std::printf("%lld\n", best);
}
