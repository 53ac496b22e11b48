// Fuzz target: Dockerfile text (parser, then shell-word expansion of every instruction's
// arguments) and the same bytes as a .dockerignore. Untrusted: any build context brings both.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "build/dockerfile.h"
#include "build/dockerignore.h"
#include "build/shell.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  berth::build::Vars vars{{"a", "A"}, {"empty", ""}};
  auto df = berth::build::parse_dockerfile(text);
  if (df.ok()) {
    for (const auto& ins : df->instructions) {
      (void)berth::build::expand_words(ins.args, vars, df->escape);
      (void)berth::build::expand_vars(ins.args, vars, df->escape);
      for (const auto& h : ins.heredocs) (void)berth::build::expand_vars(h.content, vars);
    }
  }
  auto ign = berth::build::IgnoreMatcher::parse(text.substr(0, 4096));
  if (ign.ok()) {
    (void)ign->excluded("a/b/c.txt");
    (void)ign->excluded("node_modules");
  }
  return 0;
}
