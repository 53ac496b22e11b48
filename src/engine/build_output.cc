// `build --output`: the built image as an archive, or its root file system as a tar or a tree.
#include <fcntl.h>
#include <unistd.h>

#include "archive/archive.h"
#include "base/fs.h"
#include "base/strings.h"
#include "engine/build_internal.h"

namespace berth::engine {

Result<BuildOutput> parse_build_output(const std::string& value) {
  BuildOutput o;
  if (value.find('=') == std::string::npos) {
    o.type = value == "-" ? "tar" : "local";
    o.dest = value;
    return o;
  }
  for (const auto& f : split(value, ',')) {
    auto kv = split_once(f, '=');
    if (kv.first == "type") o.type = kv.second;
    else if (kv.first == "dest") o.dest = kv.second;
    else if (kv.first == "name" || kv.first == "push" || kv.first == "compression") continue;
    else return invalid_argument("unknown output attribute \"" + kv.first + "\" in \"" + value + "\"");
  }
  if (o.type != "docker" && o.type != "oci" && o.type != "tar" && o.type != "local")
    return invalid_argument("unsupported output type \"" + o.type +
                            "\" (berth writes docker, oci, tar and local)");
  if (o.dest.empty()) return invalid_argument("output " + o.type + " requires dest=<path>");
  return o;
}

Status write_build_output(Engine& engine, const std::string& image_id, const BuildOutput& out) {
  UniqueFd file;
  int fd = STDOUT_FILENO;
  std::string tmp_name;
  if (out.type != "local" && out.dest != "-") {
    tmp_name = out.dest + ".tmp-berth";
    BERTH_ASSIGN_OR_RETURN(file, open_file(tmp_name, O_WRONLY | O_CREAT | O_TRUNC, 0644));
    fd = file.get();
  }
  auto finish = [&]() -> Status {
    if (tmp_name.empty()) return {};
    if (::fsync(fd) != 0) return sys_error("fsync " + tmp_name);
    if (::rename(tmp_name.c_str(), out.dest.c_str()) != 0) return sys_error("rename " + out.dest);
    return {};
  };
  if (out.type == "docker" || out.type == "oci") {
    // berth's archives carry both manifest.json and an OCI layout (index.json, oci-layout).
    BERTH_TRY(engine.save_images({image_id}, fd));
    return finish();
  }
  BERTH_ASSIGN_OR_RETURN(auto img, engine.store().get(image_id));
  std::vector<std::string> lowers;
  if (!img.top_layer.empty()) {
    BERTH_ASSIGN_OR_RETURN(lowers, engine.store().layers().lowerdirs(img.top_layer));
  }
  buildimpl::LayerView view(lowers);
  buildimpl::CopyOptions co;
  if (out.type == "local") {
    BERTH_TRY(mkdir_all(out.dest, 0755));
    return buildimpl::copy_tree(view, "", out.dest, co);
  }
  BERTH_ASSIGN_OR_RETURN(auto tmp, TempDir::create(engine.store().tmp_dir(), "build-output-"));
  std::string root = path_join(tmp.path(), "rootfs");
  BERTH_TRY(buildimpl::copy_tree(view, "", root, co));
  archive::ExportOptions eo;
  eo.compression = archive::Compression::kNone;
  eo.overlay_whiteouts = false;
  BERTH_TRY(archive::export_layer(root, fd, eo));
  return finish();
}

}  // namespace berth::engine
