// ContainerEdits::merge (see edits.h).
#include "gpu/edits.h"

#include <algorithm>

namespace berth::gpu {

void ContainerEdits::merge(const ContainerEdits& other) {
  for (const auto& e : other.env)
    if (std::find(env.begin(), env.end(), e) == env.end()) env.push_back(e);
  for (const auto& d : other.device_nodes)
    if (std::none_of(device_nodes.begin(), device_nodes.end(),
                     [&](const DeviceNode& x) { return x.path == d.path; }))
      device_nodes.push_back(d);
  for (const auto& m : other.mounts)
    if (std::none_of(mounts.begin(), mounts.end(),
                     [&](const Mount& x) { return x.container_path == m.container_path; }))
      mounts.push_back(m);
  for (const auto& h : other.hooks)
    if (std::find(hooks.begin(), hooks.end(), h) == hooks.end()) hooks.push_back(h);
  for (auto g : other.additional_gids)
    if (std::find(additional_gids.begin(), additional_gids.end(), g) == additional_gids.end())
      additional_gids.push_back(g);
}

}  // namespace berth::gpu
