// --gpus parsing (see request.h).
#include "gpu/request.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>

#include "base/strings.h"

namespace berth::gpu {
namespace {

// One CSV record: fields split on commas, double quotes group a field ("" is a literal quote).
Result<std::vector<std::string>> csv_fields(std::string_view s) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (quoted) {
      if (c == '"' && i + 1 < s.size() && s[i + 1] == '"') {
        cur += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cur += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.push_back(std::move(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (quoted) return invalid_argument("extraneous or missing \" in quoted-field");
  out.push_back(std::move(cur));
  return out;
}

Result<int> parse_count(std::string_view s) {
  if (s == "all") return -1;
  int n = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty())
    return invalid_argument("invalid count (" + std::string(s) + "): strconv.Atoi: parsing \"" +
                            std::string(s) + "\": invalid syntax");
  return n;
}

bool name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == ':';
}

}  // namespace

Result<DeviceRequest> parse_gpus(std::string_view value) {
  BERTH_ASSIGN_OR_RETURN(auto fields, csv_fields(value));
  DeviceRequest r;
  std::set<std::string> seen;
  bool has_caps = false;
  for (const auto& field : fields) {
    auto kv = split_once(field, '=');
    if (!seen.insert(kv.first).second)
      return invalid_argument("gpu request key '" + kv.first + "' can be specified only once");
    if (!kv.found) {  // a bare value is the count
      seen.insert("count");
      BERTH_ASSIGN_OR_RETURN(r.count, parse_count(kv.first));
      continue;
    }
    if (kv.first == "driver") {
      r.driver = kv.second;
    } else if (kv.first == "count") {
      BERTH_ASSIGN_OR_RETURN(r.count, parse_count(kv.second));
    } else if (kv.first == "device") {
      r.device_ids = split(kv.second, ',');
    } else if (kv.first == "capabilities") {
      auto caps = split(kv.second, ',');
      caps.push_back("gpu");
      r.capabilities = {caps};
      has_caps = true;
    } else if (kv.first == "options") {
      BERTH_ASSIGN_OR_RETURN(auto opts, csv_fields(kv.second));
      for (const auto& o : opts) {
        auto okv = split_once(o, '=');
        r.options[okv.first] = okv.second;
      }
    } else {
      return invalid_argument("unexpected key '" + kv.first + "' in '" + field + "'");
    }
  }
  if (r.count != 0 && !r.device_ids.empty())
    return invalid_argument("cannot set both Count and DeviceIDs on device request");
  if (!seen.count("count") && r.device_ids.empty()) r.count = 1;
  if (!has_caps) r.capabilities = {{"gpu"}};
  return r;
}

bool is_cdi_name(std::string_view s) { return parse_cdi_name(s).ok(); }

Result<CdiName> parse_cdi_name(std::string_view s) {
  auto bad = [&] { return invalid_argument("invalid CDI device name \"" + std::string(s) + "\""); };
  size_t eq = s.find('=');
  if (eq == std::string_view::npos) return bad();
  std::string_view kind = s.substr(0, eq), name = s.substr(eq + 1);
  size_t slash = kind.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == kind.size()) return bad();
  std::string_view vendor = kind.substr(0, slash), cls = kind.substr(slash + 1);
  // The vendor is domain-like and starts with a letter; a host path never passes (leading '/').
  if (!std::isalpha(static_cast<unsigned char>(vendor.front()))) return bad();
  for (char c : vendor)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_'))
      return bad();
  for (char c : cls)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')) return bad();
  if (name.empty() || !std::all_of(name.begin(), name.end(), name_char)) return bad();
  return CdiName{std::string(kind), std::string(name)};
}

nlohmann::ordered_json to_json(const DeviceRequest& r) {
  nlohmann::ordered_json j;
  j["Driver"] = r.driver;
  j["Count"] = r.count;
  j["DeviceIDs"] = r.device_ids.empty() ? nlohmann::ordered_json(nullptr)
                                         : nlohmann::ordered_json(r.device_ids);
  j["Capabilities"] = r.capabilities;
  j["Options"] = nlohmann::ordered_json(r.options);
  return j;
}

DeviceRequest from_json(const nlohmann::json& j) {
  DeviceRequest r;
  r.driver = j.value("Driver", "");
  r.count = j.value("Count", 0);
  if (j.contains("DeviceIDs") && j["DeviceIDs"].is_array())
    r.device_ids = j["DeviceIDs"].get<std::vector<std::string>>();
  if (j.contains("Capabilities") && j["Capabilities"].is_array())
    r.capabilities = j["Capabilities"].get<std::vector<std::vector<std::string>>>();
  if (j.contains("Options") && j["Options"].is_object())
    r.options = j["Options"].get<std::map<std::string, std::string>>();
  return r;
}


}  // namespace berth::gpu
