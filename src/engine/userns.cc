#include "engine/userns.h"

#include <set>

#include <nlohmann/json.hpp>

#include "base/fs.h"
#include "base/strings.h"

namespace berth::engine {
namespace {

constexpr uint32_t kDefaultSize = 65536;
constexpr UsernsRange kDefaultPool{1u << 30, 1u << 30};

}  // namespace

Result<uint32_t> parse_userns_mode(const std::string& mode) {
  if (mode.empty() || mode == "host") return 0u;
  if (mode == "auto") return kDefaultSize;
  if (mode.rfind("auto:size=", 0) == 0) {
    uint64_t n = 0;
    std::string digits = mode.substr(10);
    bool ok = !digits.empty() && digits.size() <= 9;
    for (char ch : digits) ok = ok && ch >= '0' && ch <= '9';
    if (ok) n = std::stoull(digits);
    if (!ok || n < 1 || n > kDefaultPool.count)
      return invalid_argument("invalid --userns size \"" + digits + "\": a count of ids, at least 1");
    return static_cast<uint32_t>(n);
  }
  return invalid_argument("invalid USER mode \"" + mode + "\" (berth supports host and auto[:size=N])");
}

UsernsRange userns_pool(const std::string& subid_text) {
  for (const auto& line : split(subid_text, '\n')) {
    auto f = split(line, ':');
    if (f.size() != 3 || f[0] != "berth") continue;
    try {
      uint64_t start = std::stoull(f[1]), count = std::stoull(f[2]);
      if (count && start + count <= 0xffffffffULL)
        return {static_cast<uint32_t>(start), static_cast<uint32_t>(count)};
    } catch (...) {
    }
  }
  return kDefaultPool;
}

Result<uint32_t> pick_userns_block(const UsernsRange& pool, uint32_t size, const std::string& id,
                                   const std::vector<UsernsRange>& used) {
  uint64_t slots = pool.count / size;
  if (slots == 0)
    return failed_precondition("the user namespace pool (" + std::to_string(pool.count) +
                               " ids) is smaller than --userns size " + std::to_string(size));
  uint64_t first = stable_hash64(id) % slots;
  for (uint64_t i = 0; i < slots; ++i) {
    uint64_t start = pool.start + ((first + i) % slots) * size;
    bool clash = false;
    for (const auto& u : used)
      clash = clash || (start < uint64_t{u.start} + u.count && uint64_t{u.start} < start + size);
    if (!clash) return static_cast<uint32_t>(start);
  }
  return failed_precondition("no free block of " + std::to_string(size) +
                             " ids is left in the user namespace pool");
}

Result<UsernsMaps> allocate_userns(Engine& e, const std::string& id, const std::string& mode) {
  BERTH_ASSIGN_OR_RETURN(uint32_t size, parse_userns_mode(mode));
  if (size == 0) return UsernsMaps{};
  auto subuid = read_file("/etc/subuid");
  auto subgid = read_file("/etc/subgid");
  UsernsRange upool = userns_pool(subuid.ok() ? *subuid : "");
  UsernsRange gpool = userns_pool(subgid.ok() ? *subgid : "");
  std::vector<UsernsRange> used;
  BERTH_ASSIGN_OR_RETURN(auto all, e.list_containers());
  for (const auto& c : all) {
    auto conf = nlohmann::json::parse(c.config, nullptr, false);
    if (conf.is_discarded() || !conf.contains("UsernsRange")) continue;
    used.push_back({conf["UsernsRange"].value("Start", 0u), conf["UsernsRange"].value("Count", 0u)});
  }
  // uids and gids take the same offset in their pools, so one record describes both.
  UsernsRange pool{0, std::min(upool.count, gpool.count)};
  std::vector<UsernsRange> used_offsets;
  for (const auto& u : used)
    if (u.start >= upool.start) used_offsets.push_back({u.start - upool.start, u.count});
  BERTH_ASSIGN_OR_RETURN(uint32_t offset, pick_userns_block(pool, size, id, used_offsets));
  UsernsMaps m;
  m.uid = {{0, upool.start + offset, size}};
  m.gid = {{0, gpool.start + offset, size}};
  m.host_uids = {upool.start + offset, size};
  return m;
}

}  // namespace berth::engine
