// Small string helpers the standard library lacks in C++20.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace berth {

std::vector<std::string> split(std::string_view s, char sep);
// Splits at the first `sep`; second is empty and found is false when absent.
struct SplitPair {
  std::string first, second;
  bool found = false;
};
SplitPair split_once(std::string_view s, char sep);
std::string join(const std::vector<std::string>& parts, std::string_view sep);
std::string_view trim(std::string_view s);
std::string to_lower(std::string_view s);
bool is_hex(std::string_view s);
// A 64-bit hash that is the same in every build (std::hash is not), for names derived from a
// path or a key (bridge and nft table tags, network ids, seccomp cache file names). FNV-1a's
// loop with an offset basis one digit short of FNV's: berth's first copy had it, and existing
// roots' bridge and table names depend on it, so it stays. Not collision-resistant.
uint64_t stable_hash64(std::string_view s);
// `bytes` random bytes from the kernel (getrandom), as lowercase hex: ids and temp names.
std::string random_hex(size_t bytes);

}  // namespace berth
