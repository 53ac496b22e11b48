#include "image/import.h"

#include "archive/archive.h"
#include "archive/decompress.h"
#include "base/strings.h"
#include "format/units.h"
#include "image/changes.h"

namespace berth::image {

std::string rfc3339(int64_t unix_nanos) { return format::format_rfc3339_nano(unix_nanos); }

Result<std::string> ingest_uncompressed(Store& store, int fd) {
  BERTH_ASSIGN_OR_RETURN(auto writer, store.content().writer());
  BERTH_TRY(archive::decompress(fd, [&](std::string_view chunk) { return writer.write(chunk); }));
  return writer.commit();
}

static Result<std::pair<std::string, std::string>> parse_platform(const std::string& p) {
  std::string os = "linux", arch = oci::native_arch();
  if (!p.empty()) {
    auto parts = split(p, '/');
    if (parts.size() < 2 || parts[0].empty() || parts[1].empty())
      return invalid_argument("invalid platform \"" + p + "\": expected os/arch[/variant]");
    os = parts[0];
    arch = parts[1];
  }
  if (os != "linux") return invalid_argument("operating system is not supported: " + os);
  return std::make_pair(os, arch);
}

Result<ImageRecord> import_tarball(Store& store, int fd, const ImportOptions& opts) {
  oci::ImageConfig cfg;
  for (const auto& c : opts.changes) BERTH_TRY(apply_change(cfg.config, c));
  BERTH_ASSIGN_OR_RETURN(auto plat, parse_platform(opts.platform));
  cfg.os = plat.first;
  cfg.architecture = plat.second;

  BERTH_ASSIGN_OR_RETURN(std::string blob, ingest_uncompressed(store, fd));
  BERTH_ASSIGN_OR_RETURN(std::string top, store.ensure_layers({{blob, blob}}));

  cfg.created = rfc3339(now_nanos());
  cfg.diff_ids = {blob};
  oci::HistoryEntry h;
  h.created = cfg.created;
  h.comment = opts.message.empty() ? "Imported from " + opts.source : opts.message;
  cfg.comment = h.comment;
  cfg.history.push_back(h);
  Store::NewImage img;
  img.config_bytes = oci::serialize_image_config(cfg);
  img.top_layer = top;
  return store.add(img);
}

}  // namespace berth::image
