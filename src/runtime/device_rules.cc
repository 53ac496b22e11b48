#include "runtime/spec.h"

namespace berth::runtime {

std::vector<DeviceRule> cgroup_device_rules(const std::vector<oci::DeviceCgroup>& spec_rules) {
  std::vector<oci::DeviceCgroup> rules = spec_rules;
  // The device nodes every container gets (ptmx, pts, /dev/full, tun, mknod) must be usable.
  for (const auto& d : runc_implicit_device_rules()) rules.push_back(d);
  std::vector<DeviceRule> out;
  for (const auto& d : rules) {
    DeviceRule r;
    r.allow = d.allow;
    r.type = d.type.empty() ? 'a' : d.type[0];
    r.major = d.major.value_or(-1);
    r.minor = d.minor.value_or(-1);
    r.access = d.access.empty() ? "rwm" : d.access;
    out.push_back(r);
  }
  return out;
}

}  // namespace berth::runtime
