// The builder's driver: stages, ARG scoping, the metadata instructions, the final image.
#include "engine/build.h"
#include "engine/registry.h"

#include <sys/file.h>

#include <algorithm>
#include <cstdlib>

#include "base/fs.h"
#include "base/strings.h"
#include "build/cache_key.h"
#include "digest/digest.h"
#include "engine/build_history.h"
#include "engine/build_steps.h"
#include "image/changes.h"
#include "image/import.h"
#include "runtime/spec.h"

namespace berth::engine {
namespace buildimpl {
namespace {

using build::Instruction;

// Args Docker passes to RUN without an ARG line, never written to the image.
const char* const kProxyArgs[] = {"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy",
                                  "FTP_PROXY",  "ftp_proxy",  "NO_PROXY",    "no_proxy",
                                  "ALL_PROXY",  "all_proxy"};

bool is_proxy_arg(const std::string& k) {
  return std::find(std::begin(kProxyArgs), std::end(kProxyArgs), k) != std::end(kProxyArgs);
}

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

void set_env(oci::RunConfig& rc, const std::string& k, const std::string& v) {
  std::string prefix = k + "=";
  for (auto& e : rc.env)
    if (e.rfind(prefix, 0) == 0) {
      e = prefix + v;
      return;
    }
  rc.env.push_back(prefix + v);
}

void add_sorted_unique(std::vector<std::string>& v, const std::string& x) {
  if (std::find(v.begin(), v.end(), x) == v.end()) v.push_back(x);
  std::sort(v.begin(), v.end());
}

// "30s", "1m30s", "500ms", "2h" -> nanoseconds.
Result<int64_t> parse_duration(const std::string& s) {
  int64_t total = 0;
  size_t i = 0;
  if (s.empty()) return invalid_argument("invalid duration \"\"");
  while (i < s.size()) {
    size_t j = i;
    while (j < s.size() && (std::isdigit(static_cast<unsigned char>(s[j])) || s[j] == '.')) ++j;
    if (j == i) return invalid_argument("time: invalid duration \"" + s + "\"");
    double num = std::stod(s.substr(i, j - i));
    size_t k = j;
    while (k < s.size() && std::isalpha(static_cast<unsigned char>(s[k]))) ++k;
    std::string unit = s.substr(j, k - j);
    double mul = unit == "ns" ? 1 : unit == "us" ? 1e3 : unit == "ms" ? 1e6 : unit == "s" ? 1e9
               : unit == "m" ? 60e9 : unit == "h" ? 3600e9 : -1;
    if (mul < 0) return invalid_argument("time: invalid duration \"" + s + "\"");
    total += static_cast<int64_t>(num * mul);
    i = k;
  }
  return total;
}

// `k=v k2="v 2"` pairs, or the legacy `k v` form (ENV, LABEL), values expanded.
Result<std::vector<std::pair<std::string, std::string>>> key_values(const Instruction& ins,
                                                                    const build::Vars& vars,
                                                                    char esc) {
  std::vector<std::pair<std::string, std::string>> out;
  auto words = build::split_words(ins.args, esc);
  if (words.empty()) return build::parse_error(ins.line, upper(ins.keyword) + " requires at least one argument");
  if (words[0].find('=') == std::string::npos) {
    if (ins.keyword == "label" || words.size() < 2)
      return build::parse_error(ins.line, upper(ins.keyword) + " names can not be blank");
    // Legacy form: the rest of the line is the value.
    std::string_view rest = ins.args;
    rest = trim(rest.substr(rest.find(words[0]) + words[0].size()));
    BERTH_ASSIGN_OR_RETURN(auto k, build::expand_word(words[0], vars, esc));
    BERTH_ASSIGN_OR_RETURN(auto v, build::expand_word(rest, vars, esc));
    out.emplace_back(k, v);
    return out;
  }
  for (const auto& w : words) {
    auto eq = w.find('=');
    if (eq == std::string::npos || eq == 0)
      return build::parse_error(ins.line, "Syntax error - can't find = in \"" + w +
                                              "\". Must be of the form: name=value");
    BERTH_ASSIGN_OR_RETURN(auto k, build::expand_word(w.substr(0, eq), vars, esc));
    BERTH_ASSIGN_OR_RETURN(auto v, build::expand_word(w.substr(eq + 1), vars, esc));
    out.emplace_back(k, v);
  }
  return out;
}

Result<std::vector<std::string>> expose_ports(const std::string& p) {
  auto sp = split_once(p, '/');
  std::string proto = sp.found ? to_lower(sp.second) : "tcp";
  auto range = split_once(sp.first, '-');
  try {
    int a = std::stoi(range.first), b = range.found ? std::stoi(range.second) : a;
    if (a < 0 || b > 65535 || b < a) throw std::out_of_range("port");
    std::vector<std::string> out;
    for (int x = a; x <= b; ++x) out.push_back(std::to_string(x) + "/" + proto);
    return out;
  } catch (...) {
    return invalid_argument("invalid containerPort: " + p);
  }
}

}  // namespace

std::vector<std::string> shell_argv(const State& st, const std::string& command) {
  std::vector<std::string> argv =
      st.cfg.config.shell ? *st.cfg.config.shell : std::vector<std::string>{"/bin/sh", "-c"};
  argv.push_back(command);
  return argv;
}

Builder::~Builder() {
  (void)digests_.save();
  // All references this build held, dropped in one transaction (one commit, not one each).
  auto tx = eng_.store().db().begin();
  for (const auto& l : held_) (void)eng_.store().layers().release(l);
  if (tx.ok()) (void)tx->commit();
}

// ---- driver ----

build::Vars Builder::vars(const State& st) const {
  build::Vars v = st.args;
  for (const auto& e : st.cfg.config.env) {
    auto kv = split_once(e, '=');
    v[kv.first] = kv.second;
  }
  return v;
}

void Builder::push_history(State& st, const std::string& created_by, bool empty_layer) {
  oci::HistoryEntry h;
  h.created = image::rfc3339(st.time);
  h.created_by = created_by;
  h.comment = "buildkit.dockerfile.v0";
  h.empty_layer = empty_layer;
  st.cfg.history.push_back(h);
}

void Builder::add_history(State& st, const std::string& created_by, bool empty_layer) {
  push_history(st, created_by, empty_layer);
  st.key = build::cache_key({st.key, created_by, {}});
}

Result<Stage*> Builder::stage_by_name(const std::string& name) {
  std::string n = to_lower(name);
  for (auto& s : stages_)
    if (!s.name.empty() && s.name == n) return &s;
  bool numeric = !n.empty() && std::all_of(n.begin(), n.end(), ::isdigit);
  if (numeric) {
    size_t i = std::stoul(n);
    if (i < stages_.size()) return &stages_[i];
  }
  return not_found("stage " + name);
}

std::string Builder::step_title(const Stage& s, int op, int ops, const Instruction& ins) const {
  std::string prefix = stages_.size() > 1 ? s.state.name + " " : "";
  std::string text = ins.original;
  // BuildKit shows the keyword upper case.
  auto sp = text.find_first_of(" \t");
  text = upper(text.substr(0, sp)) + (sp == std::string::npos ? "" : text.substr(sp));
  return "[" + prefix + std::to_string(op) + "/" + std::to_string(ops) + "] " + text;
}

Status Builder::from(Stage& s, const Instruction& ins, int op, int ops) {
  State& st = s.state;
  BERTH_TRY(build::check_flags(ins, {"platform"}));
  if (auto p = build::flag_value(ins.flags, "platform")) {
    BERTH_ASSIGN_OR_RETURN(auto plat, build::expand_word(*p, meta_args_, df_.escape));
    if (plat != "linux/" + oci::native_arch() && plat != "$BUILDPLATFORM" && plat != "$TARGETPLATFORM")
      return invalid_argument("Dockerfile:" + std::to_string(ins.line) +
                              ": FROM --platform=" + plat + ": only the native platform linux/" +
                              oci::native_arch() + " can be built (no emulation)");
  }
  BERTH_ASSIGN_OR_RETURN(auto words, build::expand_words(ins.args, meta_args_, df_.escape));
  if (words.size() != 1 && !(words.size() == 3 && to_lower(words[1]) == "as"))
    return build::parse_error(ins.line, "FROM requires either one or three arguments");
  std::string base = words[0];
  std::string title = step_title(s, op, ops, ins);
  if (to_lower(base) == "scratch") {
    st.cfg = oci::ImageConfig{};
    st.cfg.os = "linux";
    st.cfg.architecture = oci::native_arch();
    st.time = build_time_;
    st.key = build::cache_key({"scratch", "FROM scratch", {}});
    return {};
  }
  auto other = stage_by_name(base);
  if (other.ok() && (*other)->index < s.index) {
    State parent = (*other)->state;
    st.cfg = parent.cfg;
    st.top_layer = parent.top_layer;
    st.key = parent.key;
    st.time = parent.time;
    return {};  // the chain is pinned (or safe) as the other stage's was
  }
  auto ref = image::parse_docker_ref(base);
  std::string shown = ref.ok() ? image::with_default_tag(*ref).string() : base;
  int n = begin(title.substr(0, title.find("] ") + 2) + "FROM " + shown);
  s.last_step = n;
  auto img = eng_.store().resolve(base);
  if (req_.pull || (!img.ok() && img.error().code() == Code::kNotFound)) {
    // Not here, or --pull: pull it, as `docker build` does (the registry client's rules and
    // credentials); an image that is up to date is not downloaded again.
    PullRequest pr;
    pr.reference = base;
    auto pulled = pull_image(eng_, pr, [](const auto&...) {});
    if (pulled.ok()) img = eng_.store().resolve(base);
    else img = std::move(pulled).error();
  }
  if (!img.ok()) {
    std::string msg = "failed to resolve source metadata for " + shown +
                      ": pull access denied, repository does not exist or may require "
                      "authorization: " + img.error().message() +
                      " (a base image can also be loaded with `berth load` or `berth import`)";
    failed(n, msg);
    return not_found("Dockerfile:" + std::to_string(ins.line) + ": " + msg);
  }
  BERTH_ASSIGN_OR_RETURN(st.cfg, oci::parse_image_config(img->config_bytes));
  if (st.cfg.architecture != oci::native_arch() || (!st.cfg.os.empty() && st.cfg.os != "linux"))
    return invalid_argument("image " + shown + " is for " + st.cfg.os + "/" +
                            st.cfg.architecture + ", not the native linux/" + oci::native_arch());
  st.top_layer = img->top_layer;  // pinned by the first step that reads it (pin)
  st.time = img->created ? img->created : build_time_;
  st.key = build::cache_key({img->id, "FROM", {}});
  done(n);
  return {};
}

Status Builder::metadata(State& st, const Instruction& ins) {
  const std::string& k = ins.keyword;
  oci::RunConfig& rc = st.cfg.config;
  char esc = df_.escape;
  auto v = vars(st);
  if (k == "env") {
    BERTH_ASSIGN_OR_RETURN(auto kvs, key_values(ins, v, esc));
    std::string text = "ENV";
    for (auto& [key, val] : kvs) {
      set_env(rc, key, val);
      text += " " + key + "=" + val;
    }
    add_history(st, text, true);
  } else if (k == "label") {
    BERTH_ASSIGN_OR_RETURN(auto kvs, key_values(ins, v, esc));
    std::string text = "LABEL";
    for (auto& [key, val] : kvs) {
      rc.labels[key] = val;
      text += " " + key + "=" + val;
    }
    add_history(st, text, true);
  } else if (k == "maintainer") {
    st.cfg.author = ins.args;
    add_history(st, "MAINTAINER " + ins.args, true);
  } else if (k == "expose") {
    BERTH_ASSIGN_OR_RETURN(auto ports, build::expand_words(ins.args, v, esc));
    // Go prints the map BuildKit records with its keys sorted.
    std::vector<std::string> these;
    for (const auto& p : ports) {
      BERTH_ASSIGN_OR_RETURN(auto list, expose_ports(p));
      for (const auto& x : list) {
        add_sorted_unique(rc.exposed_ports, x);
        add_sorted_unique(these, x);
      }
    }
    std::string text = "EXPOSE map[";
    for (size_t i = 0; i < these.size(); ++i) text += (i ? " " : "") + these[i] + ":{}";
    add_history(st, text + "]", true);
  } else if (k == "cmd" || k == "entrypoint") {
    std::vector<std::string> argv;
    if (ins.json) argv = ins.json_args;
    else if (!ins.args.empty()) argv = shell_argv(st, ins.args);
    if (k == "cmd") {
      rc.cmd = argv;
      st.declared_args.insert("\x01cmd");  // CMD set in this stage
    } else {
      rc.entrypoint = argv;
      // A new ENTRYPOINT drops the base image's CMD, unless this stage set one (Docker).
      if (!st.declared_args.count("\x01cmd")) rc.cmd.reset();
    }
    add_history(st, upper(k) + " " + quoted_list(argv), true);
  } else if (k == "user") {
    BERTH_ASSIGN_OR_RETURN(rc.user, build::expand_word(ins.args, v, esc));
    add_history(st, "USER " + rc.user, true);
  } else if (k == "volume") {
    std::vector<std::string> vols;
    if (ins.json) {
      for (const auto& a : ins.json_args) {
        BERTH_ASSIGN_OR_RETURN(auto e, build::expand_word(a, v, esc));
        vols.push_back(e);
      }
    } else {
      BERTH_ASSIGN_OR_RETURN(vols, build::expand_words(ins.args, v, esc));
    }
    for (const auto& x : vols) {
      if (x.empty()) return build::parse_error(ins.line, "VOLUME specified can not be an empty string");
      add_sorted_unique(rc.volumes, x);
    }
    add_history(st, "VOLUME " + plain_list(vols), true);
  } else if (k == "shell") {
    if (!ins.json || ins.json_args.empty())
      return build::parse_error(ins.line, "SHELL requires the arguments to be in JSON form");
    rc.shell = ins.json_args;
    add_history(st, "SHELL " + plain_list(ins.json_args), true);
  } else if (k == "stopsignal") {
    BERTH_ASSIGN_OR_RETURN(rc.stop_signal, build::expand_word(ins.args, v, esc));
    add_history(st, "STOPSIGNAL " + rc.stop_signal, true);
  } else if (k == "onbuild") {
    auto sp = ins.args.find_first_of(" \t");
    std::string trig = upper(ins.args.substr(0, sp));
    if (trig == "ONBUILD") return build::parse_error(ins.line, "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
    if (trig == "FROM" || trig == "MAINTAINER")
      return build::parse_error(ins.line, trig + " isn't allowed as an ONBUILD trigger");
    std::string line = trig + (sp == std::string::npos ? "" : ins.args.substr(sp));
    rc.on_build.push_back(line);
    // No history entry, as BuildKit: the trigger shows in the config's OnBuild only.
    st.key = build::cache_key({st.key, "ONBUILD " + line, {}});
  } else if (k == "healthcheck") {
    BERTH_TRY(build::check_flags(ins, {"interval", "timeout", "start-period", "start-interval", "retries"}));
    oci::HealthConfig hc;
    auto words = build::split_words(ins.args, esc);
    std::string kind = words.empty() ? "" : upper(words[0]);
    if (kind == "NONE") {
      hc.test = {"NONE"};
    } else if (kind == "CMD") {
      std::string rest(trim(std::string_view(ins.args).substr(ins.args.find_first_of(" \t") == std::string::npos ? ins.args.size() : ins.args.find_first_of(" \t"))));
      auto j = nlohmann::json::parse(rest, nullptr, false);
      if (!j.is_discarded() && j.is_array()) {
        hc.test = {"CMD"};
        for (const auto& e : j) hc.test.push_back(e.is_string() ? e.get<std::string>() : e.dump());
      } else {
        hc.test = {"CMD-SHELL", rest};
      }
      for (auto [name, field] : {std::pair{"interval", &hc.interval}, {"timeout", &hc.timeout},
                                 {"start-period", &hc.start_period},
                                 {"start-interval", &hc.start_interval}}) {
        if (auto f = build::flag_value(ins.flags, name)) {
          BERTH_ASSIGN_OR_RETURN(*field, parse_duration(*f));
        }
      }
      if (auto r = build::flag_value(ins.flags, "retries")) {
        try {
          hc.retries = std::stoi(*r);
        } catch (...) {
          return build::parse_error(ins.line, "invalid --retries value: " + *r);
        }
      }
    } else {
      return build::parse_error(ins.line, "Unknown type \"" + kind + "\" in HEALTHCHECK (try CMD)");
    }
    rc.healthcheck = hc;
    add_history(st, healthcheck_created_by(hc), true);
  } else {
    return internal_error("not a metadata instruction: " + k);
  }
  return {};
}

Status Builder::dispatch(Stage& s, const Instruction& ins, int& op, int ops) {
  State& st = s.state;
  const std::string& k = ins.keyword;
  if (k != "run" && k != "copy" && k != "add" && k != "healthcheck" && k != "from" && !ins.flags.empty())
    BERTH_TRY(build::check_flags(ins, {}));
  if (k == "arg") {
    std::string text = "ARG";  // the history names each ARG with its default, never a --build-arg
    for (const auto& w : build::split_words(ins.args, df_.escape)) {
      auto kv = split_once(w, '=');
      std::string name = kv.first;
      std::optional<std::string> val;
      if (kv.found) {
        BERTH_ASSIGN_OR_RETURN(auto e, build::expand_word(kv.second, vars(st), df_.escape));
        val = e;
        text += " " + name + "=" + e;
      } else {
        text += " " + name;
        if (meta_args_.count(name)) val = meta_args_.at(name);
      }
      if (auto it = build_args_.find(name); it != build_args_.end()) {
        val = it->second;
        consumed_args_.insert(name);
      }
      st.declared_args.insert(name);
      if (std::find(st.arg_order.begin(), st.arg_order.end(), name) == st.arg_order.end())
        st.arg_order.push_back(name);
      if (val) st.args[name] = *val;
      st.key = build::cache_key({st.key, "ARG " + name + (val ? "=" + *val : ""), {}});
    }
    // Recorded without touching the key, which already holds each value as it resolved.
    push_history(st, text, true);
    return {};
  }
  auto step = [&] { return s.last_step = begin(step_title(s, ++op, ops, ins)); };
  if (k == "run") return run_step(s, ins, step());
  if (k == "copy" || k == "add") return copy_step(s, ins, step());
  if (k == "workdir") {
    BERTH_ASSIGN_OR_RETURN(auto dir, build::expand_word(ins.args, vars(st), df_.escape));
    if (dir.empty() || dir[0] != '/')
      dir = (st.cfg.config.working_dir.empty() ? "/" : st.cfg.config.working_dir + "/") + dir;
    dir = build::clean_path(dir);
    st.cfg.config.working_dir = dir;
    return workdir_step(st, ins, dir, step());
  }
  if (k == "from") return build::parse_error(ins.line, "FROM is only allowed at the start of a stage");
  return metadata(st, ins);
}

Status Builder::build_stage(Stage& s) {
  auto is_op = [](const Instruction& i) {
    return i.keyword == "run" || i.keyword == "copy" || i.keyword == "add" || i.keyword == "workdir";
  };
  int ops = 1 + static_cast<int>(std::count_if(s.ins.begin() + 1, s.ins.end(), is_op));
  int op = 1;
  BERTH_TRY(from(s, s.ins[0], op, ops));
  State& st = s.state;
  // As BuildKit: a stage whose base has no PATH gets the default one, so `ENV PATH=/x:$PATH`
  // and RUN see what a container would.
  bool has_path = std::any_of(st.cfg.config.env.begin(), st.cfg.config.env.end(),
                              [](const std::string& e) { return e.rfind("PATH=", 0) == 0; });
  if (!has_path) st.cfg.config.env.insert(st.cfg.config.env.begin(), std::string("PATH=") + runtime::kDefaultPath);
  // Platform args are declared globally; a stage sees them through ARG, like the others.
  // ONBUILD triggers of the base run first, then are dropped from the new image.
  std::vector<Instruction> triggers;
  for (const auto& t : st.cfg.config.on_build) {
    auto parsed = build::parse_dockerfile(t);
    if (!parsed.ok()) return std::move(parsed).error().context("ONBUILD trigger");
    for (auto& i : parsed->instructions) {
      i.line = s.ins[0].line;
      triggers.push_back(i);
    }
  }
  st.cfg.config.on_build.clear();
  ops += static_cast<int>(std::count_if(triggers.begin(), triggers.end(), is_op));
  for (const auto& t : triggers) BERTH_TRY(dispatch(s, t, op, ops));
  for (size_t i = 1; i < s.ins.size(); ++i) {
    if (stop_) return Error(Code::kCancelled, "canceled: another stage failed");
    auto r = dispatch(s, s.ins[i], op, ops);
    if (!r.ok()) {
      std::string m = r.error().message();
      if (m.rfind("dockerfile parse error", 0) == 0 || m.rfind(req_.dockerfile_name + ":", 0) == 0)
        return r;
      return std::move(r).error().context(req_.dockerfile_name + ":" + std::to_string(s.ins[i].line));
    }
  }
  st.done = true;
  return {};
}

Result<BuildResult> Builder::run() {
  std::unique_lock lock(mu_);
  build_time_ = req_.source_date_epoch ? *req_.source_date_epoch * 1000000000 : image::now_nanos();
  if (req_.progress == "tty") out_ << "[+] Building\n";
  int n = begin("[internal] load build definition from " + req_.dockerfile_name);
  if (req_.progress != "tty")
    out_ << "#" << n << " transferring dockerfile: " << req_.dockerfile_text.size() << "B done\n";
  BERTH_ASSIGN_OR_RETURN(df_, build::parse_dockerfile(req_.dockerfile_text));
  done(n);
  digests_ = build::FileDigestCache::load(path_join(eng_.options().root, "build-file-digests"));
  if (!req_.platform.empty() && req_.platform != "linux/" + oci::native_arch() &&
      req_.platform != "linux")
    return invalid_argument("--platform " + req_.platform + ": only the native platform linux/" +
                            oci::native_arch() + " can be built (no emulation)");

  n = begin("[internal] load .dockerignore");
  std::string ign_path = path_join(req_.context_dir, ".dockerignore");
  std::string ign_text;
  if (path_exists(ign_path)) {
    BERTH_ASSIGN_OR_RETURN(ign_text, read_file(ign_path));
  }
  if (req_.progress != "tty")
    out_ << "#" << n << " transferring context: " << ign_text.size() << "B done\n";
  BERTH_ASSIGN_OR_RETURN(ignore_, build::IgnoreMatcher::parse(ign_text));
  done(n);

  // --build-arg values: KEY=VALUE, or KEY taken from the environment (dropped when unset).
  for (const auto& [k, v] : req_.build_args) {
    if (v) build_args_[k] = *v;
    else if (const char* e = std::getenv(k.c_str())) build_args_[k] = e;
  }
  // Global ARGs (before the first FROM) and the platform args BuildKit predefines.
  std::string arch = oci::native_arch();
  meta_args_ = {{"TARGETPLATFORM", "linux/" + arch}, {"TARGETOS", "linux"},
                {"TARGETARCH", arch},                {"TARGETVARIANT", ""},
                {"BUILDPLATFORM", "linux/" + arch},  {"BUILDOS", "linux"},
                {"BUILDARCH", arch},                 {"BUILDVARIANT", ""}};
  size_t i = 0;
  for (; i < df_.instructions.size() && df_.instructions[i].keyword != "from"; ++i) {
    const auto& ins = df_.instructions[i];
    if (ins.keyword != "arg")
      return build::parse_error(ins.line, "no build stage in current context");
    for (const auto& w : build::split_words(ins.args, df_.escape)) {
      auto kv = split_once(w, '=');
      std::optional<std::string> val;
      if (kv.found) {
        BERTH_ASSIGN_OR_RETURN(auto e, build::expand_word(kv.second, meta_args_, df_.escape));
        val = e;
      }
      if (auto it = build_args_.find(kv.first); it != build_args_.end()) {
        val = it->second;
        consumed_args_.insert(kv.first);
      }
      if (val) meta_args_[kv.first] = *val;
    }
  }
  for (; i < df_.instructions.size(); ++i) {
    const auto& ins = df_.instructions[i];
    if (ins.keyword == "from") {
      Stage s;
      s.index = static_cast<int>(stages_.size());
      auto words = build::split_words(ins.args, df_.escape);
      if (words.size() == 3 && to_lower(words[1]) == "as") s.name = to_lower(words[2]);
      s.state.name = s.name.empty() ? "stage-" + std::to_string(s.index) : s.name;
      stages_.push_back(std::move(s));
    }
    stages_.back().ins.push_back(ins);
  }
  // The target and the stages it needs (FROM <stage>, COPY --from, RUN --mount from=).
  size_t target = stages_.size() - 1;
  if (!req_.target.empty()) {
    auto t = stage_by_name(req_.target);
    if (!t.ok() || (*t)->name != to_lower(req_.target))
      return not_found("failed to reach build target " + req_.target + " in Dockerfile");
    target = static_cast<size_t>((*t)->index);
  }
  std::vector<bool> needed(stages_.size(), false);
  std::vector<std::vector<size_t>> deps(stages_.size());  // the stages each stage reads
  std::vector<size_t> todo{target};
  while (!todo.empty()) {
    size_t x = todo.back();
    todo.pop_back();
    if (needed[x]) continue;
    needed[x] = true;
    for (const auto& ins : stages_[x].ins) {
      std::vector<std::string> refs;
      if (ins.keyword == "from") {
        auto w = build::expand_words(ins.args, meta_args_, df_.escape);
        if (w.ok() && !w->empty()) refs.push_back((*w)[0]);
      }
      if (auto f = build::flag_value(ins.flags, "from")) refs.push_back(*f);
      for (const auto& fl : ins.flags) {
        auto pos = fl.find("from=");
        if (fl.rfind("--mount=", 0) == 0 && pos != std::string::npos)
          refs.push_back(split_once(fl.substr(pos + 5), ',').first);
      }
      for (const auto& r : refs) {
        auto s = stage_by_name(r);
        if (!s.ok()) continue;
        size_t d = static_cast<size_t>((*s)->index);
        if (d == x && ins.keyword != "from")
          return invalid_argument("circular dependency detected on stage: " + r);
        // FROM names an earlier stage only (a later name is an image); --from and a mount's
        // from= may name any stage, as in BuildKit, as long as the stages form no cycle.
        if (d < x || (d > x && ins.keyword != "from")) {
          todo.push_back(d);
          deps[x].push_back(d);
        }
      }
    }
  }
  BERTH_TRY(check_stage_cycles(needed, deps));

  // Writers of new data hold the store lock shared (engine.cc): GC waits for this build.
  BERTH_ASSIGN_OR_RETURN(lock_, open_file(path_join(eng_.options().root, "store.lock"),
                                          O_RDWR | O_CREAT, 0600));
  while (::flock(lock_.get(), LOCK_SH) < 0)
    if (errno != EINTR) return sys_error("locking the store");

  BERTH_TRY(build_stages(needed, deps));

  std::vector<std::string> unused;
  for (const auto& [k, v] : build_args_)
    if (!consumed_args_.count(k) && !is_proxy_arg(k)) unused.push_back(k);
  if (!unused.empty())
    out_ << "[Warning] One or more build-args [" << join(unused, " ") << "] were not consumed\n";

  // The image.
  State& st = stages_[target].state;
  for (const auto& [k, v] : req_.labels) st.cfg.config.labels[k] = v;
  st.cfg.created = image::rfc3339(std::max(st.time, st.cfg.history.empty() ? st.time : st.time));
  if (!st.cfg.history.empty()) st.cfg.created = st.cfg.history.back().created;
  st.cfg.os = "linux";
  st.cfg.architecture = oci::native_arch();
  st.cfg.container_config.reset();
  n = begin("exporting to image");
  bool plain = req_.progress != "tty";
  if (plain) out_ << "#" << n << " exporting layers done\n";
  image::Store::NewImage img;
  img.config_bytes = oci::serialize_image_config(st.cfg);
  img.top_layer = st.top_layer;
  for (const auto& t : req_.tags) {
    BERTH_ASSIGN_OR_RETURN(auto r, image::parse_docker_ref(t));
    img.tags.push_back(image::with_default_tag(r));
  }
  // A rebuild that changed nothing finds its image and tags in place: nothing is written.
  image::ImageRecord rec;
  bool unchanged = false;
  if (auto existing = eng_.store().get(digest::sha256_of(img.config_bytes).str()); existing.ok()) {
    unchanged = true;
    for (const auto& t : img.tags) {
      auto r = eng_.store().resolve(t.string());
      if (!r.ok() || r->id != existing->id) unchanged = false;
    }
    if (unchanged) rec = *existing;
  }
  if (!unchanged) {
    if (!st.top_layer.empty()) BERTH_TRY(eng_.store().layers().acquire(st.top_layer));
    BERTH_ASSIGN_OR_RETURN(rec, eng_.store().add(img));
  }
  if (plain) {
    out_ << "#" << n << " writing image " << rec.id << " done\n";
    for (const auto& t : img.tags) out_ << "#" << n << " naming to " << t.string() << " done\n";
  }
  done(n);
  return BuildResult{rec.id};
}

}  // namespace buildimpl

Result<BuildResult> build_image(Engine& engine, const BuildRequest& req, std::ostream& progress) {
  buildimpl::Builder b(engine, req, progress);
  return b.run();
}

}  // namespace berth::engine
