// `berth build`: a Dockerfile and a context directory become an image in the store.
//
// The builder parses (build/dockerfile.h), picks the stages the target needs, and runs each
// instruction against a state (image config + layer chain + cache key). RUN runs in a real
// container on an overlay of the state's layers; its upper dir becomes the layer. COPY/ADD/WORKDIR
// fill a staging directory that becomes the layer. An empty diff makes no layer (a history entry
// with empty_layer, as Docker). Every step that makes a layer is cached under a key (see
// build/cache_key.h); a hit reuses the layer and runs nothing.
//
// Progress is written in BuildKit's plain form (`#5 [2/4] RUN ...`, `#5 CACHED`, `#5 DONE 0.3s`).
// Secrets (`--secret`) are files on a private directory bound read-only into the one RUN that
// asks for them; they never enter a layer, the config, the history or a cache key.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "base/error.h"
#include "engine/engine.h"

namespace berth::engine {

struct BuildSecret {
  std::string id;
  std::string src;  // a file, or
  std::string env;  // an environment variable of the client
};

struct BuildRequest {
  std::string context_dir;           // the build context, a directory
  std::string dockerfile_text;       // the Dockerfile's contents
  std::string dockerfile_name = "Dockerfile";  // for messages
  std::vector<std::string> tags;     // as typed: "myimage:1.0"
  std::vector<std::pair<std::string, std::optional<std::string>>> build_args;  // nullopt: from env
  std::vector<std::pair<std::string, std::string>> labels;
  std::string target;
  bool no_cache = false;
  // --pull: every FROM image is pulled again, even when the store has it (a failed pull fails
  // the build, as in Docker); without it only a missing image is pulled.
  bool pull = false;
  std::vector<BuildSecret> secrets;
  std::string network = "default";  // default|host|none for RUN
  std::string platform;             // "" or the native linux/<arch>
  std::optional<int64_t> source_date_epoch;
  // "plain": BuildKit's log form; "tty": a live view, one line per step, the running step's last
  // output lines under it, redrawn with ANSI escapes.
  std::string progress = "plain";
  int tty_width = 80;  // columns: tty lines are cut to fit, so redrawing counts lines right
};

struct BuildResult {
  std::string image_id;
};

// Builds and records the image (tagged with req.tags). Progress lines go to `progress` (may be a
// null stream for -q). Errors carry Docker's wording and name the Dockerfile line:
// "Dockerfile:5: process \"/bin/sh -c exit 3\" did not complete successfully: exit code: 3".
Result<BuildResult> build_image(Engine& engine, const BuildRequest& req, std::ostream& progress);

// `builder prune`: drops build-cache entries (all, or those older than `until_nanos` when
// given) and the cache mounts with `all`; frees layers nothing else uses. Returns bytes freed.
Result<uint64_t> prune_build_cache(Engine& engine, bool all);

// The `Build Cache` row of `system df`.
Result<DfRow> build_cache_usage(Engine& engine);

}  // namespace berth::engine

namespace berth::engine {

// `--output`: where a build's result goes besides the store.
struct BuildOutput {
  std::string type;  // docker | oci (an image archive, as `save`), tar (the root file system as a
                     // tar), local (the root file system copied into a directory)
  std::string dest;  // a file, "-" for stdout (docker, oci, tar), or a directory (local)
};

// Parses Docker's `-o` values: "type=tar,dest=out.tar", "out-dir" (local), "-" (tar to stdout).
Result<BuildOutput> parse_build_output(const std::string& value);

// Writes the built image `image_id` where `out` says.
Status write_build_output(Engine& engine, const std::string& image_id, const BuildOutput& out);

}  // namespace berth::engine
