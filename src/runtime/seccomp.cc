#include "runtime/seccomp.h"

#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <memory>

#include "base/fs.h"
#include "base/strings.h"
#include "base/unique_fd.h"

namespace berth::runtime {
namespace {

using Json = nlohmann::json;

// ---- name tables ----------------------------------------------------------------------------

struct ActionName {
  std::string_view name;
  SeccompAction action;
};
constexpr ActionName kActions[] = {
    {"SCMP_ACT_KILL", SeccompAction::kKill},
    {"SCMP_ACT_KILL_PROCESS", SeccompAction::kKillProcess},
    {"SCMP_ACT_KILL_THREAD", SeccompAction::kKillThread},
    {"SCMP_ACT_TRAP", SeccompAction::kTrap},
    {"SCMP_ACT_ERRNO", SeccompAction::kErrno},
    {"SCMP_ACT_TRACE", SeccompAction::kTrace},
    {"SCMP_ACT_ALLOW", SeccompAction::kAllow},
    {"SCMP_ACT_LOG", SeccompAction::kLog},
    {"SCMP_ACT_NOTIFY", SeccompAction::kNotify},
};

struct OpName {
  std::string_view name;
  SeccompOp op;
  scmp_compare scmp;
};
constexpr OpName kOps[] = {
    {"SCMP_CMP_NE", SeccompOp::kNotEqual, SCMP_CMP_NE},
    {"SCMP_CMP_LT", SeccompOp::kLessThan, SCMP_CMP_LT},
    {"SCMP_CMP_LE", SeccompOp::kLessEqual, SCMP_CMP_LE},
    {"SCMP_CMP_EQ", SeccompOp::kEqualTo, SCMP_CMP_EQ},
    {"SCMP_CMP_GE", SeccompOp::kGreaterEqual, SCMP_CMP_GE},
    {"SCMP_CMP_GT", SeccompOp::kGreaterThan, SCMP_CMP_GT},
    {"SCMP_CMP_MASKED_EQ", SeccompOp::kMaskedEqual, SCMP_CMP_MASKED_EQ},
};

// SCMP_ARCH_* names, Docker's native arch names (includes/excludes "arches") and libseccomp's
// token.
struct ArchName {
  std::string_view scmp;
  std::string_view native;
  uint32_t token;
};
constexpr ArchName kArches[] = {
    {"SCMP_ARCH_X86", "x86", SCMP_ARCH_X86},
    {"SCMP_ARCH_X86_64", "amd64", SCMP_ARCH_X86_64},
    {"SCMP_ARCH_X32", "x32", SCMP_ARCH_X32},
    {"SCMP_ARCH_ARM", "arm", SCMP_ARCH_ARM},
    {"SCMP_ARCH_AARCH64", "arm64", SCMP_ARCH_AARCH64},
    {"SCMP_ARCH_MIPS", "mips", SCMP_ARCH_MIPS},
    {"SCMP_ARCH_MIPS64", "mips64", SCMP_ARCH_MIPS64},
    {"SCMP_ARCH_MIPS64N32", "mips64n32", SCMP_ARCH_MIPS64N32},
    {"SCMP_ARCH_MIPSEL", "mipsel", SCMP_ARCH_MIPSEL},
    {"SCMP_ARCH_MIPSEL64", "mipsel64", SCMP_ARCH_MIPSEL64},
    {"SCMP_ARCH_MIPSEL64N32", "mipsel64n32", SCMP_ARCH_MIPSEL64N32},
    {"SCMP_ARCH_PPC", "ppc", SCMP_ARCH_PPC},
    {"SCMP_ARCH_PPC64", "ppc64", SCMP_ARCH_PPC64},
    {"SCMP_ARCH_PPC64LE", "ppc64le", SCMP_ARCH_PPC64LE},
    {"SCMP_ARCH_S390", "s390", SCMP_ARCH_S390},
    {"SCMP_ARCH_S390X", "s390x", SCMP_ARCH_S390X},
    {"SCMP_ARCH_PARISC", "parisc", SCMP_ARCH_PARISC},
    {"SCMP_ARCH_PARISC64", "parisc64", SCMP_ARCH_PARISC64},
    {"SCMP_ARCH_RISCV64", "riscv64", SCMP_ARCH_RISCV64},
};

struct FlagName {
  std::string_view name;
  unsigned bit;
};
constexpr FlagName kFlags[] = {
    {"SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC},
    {"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG},
    {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW},
};

template <typename Table>
auto find_by_name(const Table& table, std::string_view name) -> decltype(&table[0]) {
  for (const auto& e : table)
    if (e.name == name) return &e;
  return nullptr;
}

const ArchName* find_arch(std::string_view scmp) {
  for (const auto& a : kArches)
    if (a.scmp == scmp) return &a;
  return nullptr;
}

std::string in_quotes(std::string_view s) { return "\"" + std::string(s) + "\""; }

// ---- JSON reading -----------------------------------------------------------------------------

Error profile_error(std::string_view path, std::string_view what) {
  std::string msg = "seccomp profile: ";
  if (!path.empty()) msg.append(path).append(": ");
  msg.append(what);
  return invalid_argument(std::move(msg));
}

std::string sub(std::string_view path, std::string_view key) {
  return path.empty() ? std::string(key) : std::string(path) + "." + std::string(key);
}
std::string at(std::string_view path, size_t i) {
  return std::string(path) + "[" + std::to_string(i) + "]";
}

// Go's encoding/json matches an exact key first, then any key that differs only in case.
// Null counts as absent.
const Json* field(const Json& obj, std::string_view key) {
  const Json* found = nullptr;
  if (auto it = obj.find(std::string(key)); it != obj.end()) {
    found = &*it;
  } else {
    for (const auto& [k, v] : obj.items()) {
      if (to_lower(k) == to_lower(key)) {
        found = &v;
        break;
      }
    }
  }
  return found && !found->is_null() ? found : nullptr;
}

Result<std::string> read_string(const Json* v, std::string_view path) {
  if (!v) return std::string();
  if (!v->is_string()) return profile_error(path, "expected a string");
  return v->get<std::string>();
}

Result<std::vector<std::string>> read_strings(const Json* v, std::string_view path) {
  std::vector<std::string> out;
  if (!v) return out;
  if (!v->is_array()) return profile_error(path, "expected an array of strings");
  for (const auto& e : *v) {
    if (!e.is_string()) return profile_error(path, "expected an array of strings");
    out.push_back(e.get<std::string>());
  }
  return out;
}

Result<std::optional<uint64_t>> read_uint(const Json* v, std::string_view path) {
  if (!v) return std::optional<uint64_t>();
  if (!v->is_number_unsigned()) return profile_error(path, "expected an unsigned integer");
  return std::optional<uint64_t>(v->get<uint64_t>());
}

// errnoRet values: SCMP_ACT_ERRNO/TRACE carry 16 bits of data.
Result<std::optional<unsigned>> read_errno(const Json* v, std::string_view path) {
  BERTH_ASSIGN_OR_RETURN(std::optional<uint64_t> n, read_uint(v, path));
  if (!n) return std::optional<unsigned>();
  if (*n > 0xffff)
    return profile_error(path, "value " + std::to_string(*n) + " out of range 0-65535");
  return std::optional<unsigned>(static_cast<unsigned>(*n));
}

// `key` of the object at `loc`; errors name the object, not the key: `syscalls[2]: unknown action`.
Result<SeccompAction> read_action(const Json& obj, std::string_view key, std::string_view loc) {
  BERTH_ASSIGN_OR_RETURN(std::string name, read_string(field(obj, key), sub(loc, key)));
  if (name.empty()) return profile_error(loc, "missing " + std::string(key));
  const ActionName* a = find_by_name(kActions, name);
  if (!a) return profile_error(loc, "unknown action " + in_quotes(name));
  return a->action;
}

Result<std::vector<std::string>> read_arches(const Json* v, std::string_view path) {
  BERTH_ASSIGN_OR_RETURN(std::vector<std::string> arches, read_strings(v, path));
  for (const auto& a : arches)
    if (!find_arch(a)) return profile_error("", "unknown architecture " + in_quotes(a));
  return arches;
}

Result<SeccompArg> read_arg(const Json& j, const std::string& path) {
  if (!j.is_object()) return profile_error(path, "expected an object");
  SeccompArg arg;
  BERTH_ASSIGN_OR_RETURN(auto index, read_uint(field(j, "index"), sub(path, "index")));
  if (index.value_or(0) > 5)
    return profile_error(path, "index " + std::to_string(*index) + " out of range 0-5");
  arg.index = static_cast<unsigned>(index.value_or(0));
  BERTH_ASSIGN_OR_RETURN(auto value, read_uint(field(j, "value"), sub(path, "value")));
  BERTH_ASSIGN_OR_RETURN(auto value_two, read_uint(field(j, "valueTwo"), sub(path, "valueTwo")));
  arg.value = value.value_or(0);
  arg.value_two = value_two.value_or(0);
  BERTH_ASSIGN_OR_RETURN(std::string op, read_string(field(j, "op"), sub(path, "op")));
  if (op.empty()) return profile_error(path, "missing op");
  const OpName* o = find_by_name(kOps, op);
  if (!o) return profile_error(path, "unknown operator " + in_quotes(op));
  arg.op = o->op;
  return arg;
}

Result<SeccompFilter> read_filter(const Json* v, const std::string& path) {
  SeccompFilter f;
  if (!v) return f;
  if (!v->is_object()) return profile_error(path, "expected an object");
  BERTH_ASSIGN_OR_RETURN(f.caps, read_strings(field(*v, "caps"), sub(path, "caps")));
  BERTH_ASSIGN_OR_RETURN(f.arches, read_strings(field(*v, "arches"), sub(path, "arches")));
  std::string mk_path = sub(path, "minKernel");
  BERTH_ASSIGN_OR_RETURN(std::string mk, read_string(field(*v, "minKernel"), mk_path));
  if (!mk.empty()) {
    auto kv = parse_kernel_version(mk);
    if (!kv.ok()) return profile_error(mk_path, kv.error().message());
    f.min_kernel = *kv;
  }
  return f;
}

Result<SeccompSyscall> read_syscall(const Json& j, const std::string& path, bool docker) {
  if (!j.is_object()) return profile_error(path, "expected an object");
  SeccompSyscall sc;
  BERTH_ASSIGN_OR_RETURN(sc.names, read_strings(field(j, "names"), sub(path, "names")));
  if (docker) {
    BERTH_ASSIGN_OR_RETURN(std::string name, read_string(field(j, "name"), sub(path, "name")));
    if (!name.empty() && !sc.names.empty())
      return profile_error(path, "'name' and 'names' were specified, use either 'name' or 'names'");
    if (!name.empty()) sc.names.push_back(name);
  }
  if (sc.names.empty()) return profile_error(path, "no syscall names");
  for (const auto& n : sc.names)
    if (n.empty()) return profile_error(path, "empty syscall name");
  BERTH_ASSIGN_OR_RETURN(sc.action, read_action(j, "action", path));
  BERTH_ASSIGN_OR_RETURN(sc.errno_ret, read_errno(field(j, "errnoRet"), sub(path, "errnoRet")));
  if (const Json* args = field(j, "args")) {
    std::string args_path = sub(path, "args");
    if (!args->is_array()) return profile_error(args_path, "expected an array");
    for (size_t i = 0; i < args->size(); ++i) {
      BERTH_ASSIGN_OR_RETURN(SeccompArg arg, read_arg((*args)[i], at(args_path, i)));
      sc.args.push_back(arg);
    }
  }
  if (docker) {
    BERTH_ASSIGN_OR_RETURN(sc.comment, read_string(field(j, "comment"), sub(path, "comment")));
    BERTH_ASSIGN_OR_RETURN(sc.includes, read_filter(field(j, "includes"), sub(path, "includes")));
    BERTH_ASSIGN_OR_RETURN(sc.excludes, read_filter(field(j, "excludes"), sub(path, "excludes")));
  }
  return sc;
}

Result<std::vector<SeccompArchMap>> read_arch_map(const Json* v) {
  std::vector<SeccompArchMap> out;
  if (!v) return out;
  if (!v->is_array()) return profile_error("archMap", "expected an array");
  for (size_t i = 0; i < v->size(); ++i) {
    const Json& e = (*v)[i];
    std::string path = at("archMap", i);
    if (!e.is_object()) return profile_error(path, "expected an object");
    SeccompArchMap m;
    BERTH_ASSIGN_OR_RETURN(m.arch,
                           read_string(field(e, "architecture"), sub(path, "architecture")));
    if (!find_arch(m.arch)) return profile_error("", "unknown architecture " + in_quotes(m.arch));
    BERTH_ASSIGN_OR_RETURN(
        m.sub_arches, read_arches(field(e, "subArchitectures"), sub(path, "subArchitectures")));
    out.push_back(std::move(m));
  }
  return out;
}

// One reader for both formats: Docker's adds archMap, the legacy "name", comment and
// includes/excludes; OCI's readers ignore those keys as Go's decoder would.
Result<SeccompProfile> read_profile(const Json& j, bool docker) {
  if (!j.is_object()) return profile_error("", "expected a JSON object");
  SeccompProfile p;
  const Json* syscalls = field(j, "syscalls");
  if (syscalls && !syscalls->is_array()) return profile_error("syscalls", "expected an array");
  bool no_rules = !syscalls || syscalls->empty();
  if (docker && !field(j, "defaultAction") && no_rules) return p;  // Docker's "disabled" profile
  BERTH_ASSIGN_OR_RETURN(p.default_action, read_action(j, "defaultAction", ""));
  BERTH_ASSIGN_OR_RETURN(p.default_errno_ret,
                         read_errno(field(j, "defaultErrnoRet"), "defaultErrnoRet"));
  BERTH_ASSIGN_OR_RETURN(p.architectures, read_arches(field(j, "architectures"), "architectures"));
  if (docker) {
    BERTH_ASSIGN_OR_RETURN(p.arch_map, read_arch_map(field(j, "archMap")));
  }
  if (!p.architectures.empty() && !p.arch_map.empty())
    return profile_error("",
                         "'architectures' and 'archMap' were specified, use either "
                         "'architectures' or 'archMap'");
  BERTH_ASSIGN_OR_RETURN(p.flags, read_strings(field(j, "flags"), "flags"));
  for (const auto& f : p.flags)
    if (!find_by_name(kFlags, f)) return profile_error("", "unknown flag " + in_quotes(f));
  BERTH_ASSIGN_OR_RETURN(p.listener_path, read_string(field(j, "listenerPath"), "listenerPath"));
  if (syscalls) {
    for (size_t i = 0; i < syscalls->size(); ++i) {
      BERTH_ASSIGN_OR_RETURN(SeccompSyscall sc,
                             read_syscall((*syscalls)[i], at("syscalls", i), docker));
      p.syscalls.push_back(std::move(sc));
    }
  }
  return p;
}

// ---- resolution -------------------------------------------------------------------------------

bool contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// Docker's setupSeccomp: any exclude that matches drops the rule; every include must hold.
bool rule_applies(const SeccompSyscall& sc, const std::vector<std::string>& caps,
                  const SeccompTarget& t) {
  const SeccompFilter& ex = sc.excludes;
  if (contains(ex.arches, t.arch)) return false;
  for (const auto& c : ex.caps)
    if (contains(caps, c)) return false;
  if (ex.min_kernel && t.kernel >= *ex.min_kernel) return false;
  const SeccompFilter& in = sc.includes;
  if (!in.arches.empty() && !contains(in.arches, t.arch)) return false;
  for (const auto& c : in.caps)
    if (!contains(caps, c)) return false;
  if (in.min_kernel && t.kernel < *in.min_kernel) return false;
  return true;
}

std::string_view native_scmp_arch(std::string_view native) {
  for (const auto& a : kArches)
    if (a.native == native) return a.scmp;
  return {};
}

Json arg_to_json(const SeccompArg& a) {
  Json j = {{"index", a.index}, {"value", a.value}};
  if (a.value_two != 0) j["valueTwo"] = a.value_two;  // omitempty, as the OCI Go types have it
  j["op"] = seccomp_op_name(a.op);
  return j;
}

Json syscall_to_oci_json(const SeccompSyscall& sc) {
  Json j = {{"names", sc.names}, {"action", seccomp_action_name(sc.action)}};
  if (sc.errno_ret) j["errnoRet"] = *sc.errno_ret;
  if (!sc.args.empty()) {
    Json args = Json::array();
    for (const auto& a : sc.args) args.push_back(arg_to_json(a));
    j["args"] = std::move(args);
  }
  return j;
}

// ---- compilation ------------------------------------------------------------------------------

struct CtxRelease {
  void operator()(void* ctx) const { seccomp_release(ctx); }
};
using FilterCtx = std::unique_ptr<void, CtxRelease>;

Result<uint32_t> scmp_action(SeccompAction a, std::optional<unsigned> errno_ret) {
  switch (a) {
    case SeccompAction::kKill:
      return SCMP_ACT_KILL;
    case SeccompAction::kKillProcess:
      return SCMP_ACT_KILL_PROCESS;
    case SeccompAction::kKillThread:
      return SCMP_ACT_KILL_THREAD;
    case SeccompAction::kTrap:
      return SCMP_ACT_TRAP;
    case SeccompAction::kErrno:
      return SCMP_ACT_ERRNO(errno_ret.value_or(EPERM));
    case SeccompAction::kTrace:
      return SCMP_ACT_TRACE(errno_ret.value_or(EPERM));
    case SeccompAction::kAllow:
      return SCMP_ACT_ALLOW;
    case SeccompAction::kLog:
      return SCMP_ACT_LOG;
    case SeccompAction::kNotify:
      break;
  }
  return invalid_argument("seccomp profile: action \"SCMP_ACT_NOTIFY\" is not supported");
}

Error libseccomp_error(std::string what, int rc) {
  return Error(Code::kInvalidArgument, "seccomp profile: " + what + ": " + std::strerror(-rc), -rc);
}

bool repeats_an_index(const std::vector<SeccompArg>& args) {
  for (size_t i = 0; i < args.size(); ++i)
    for (size_t k = i + 1; k < args.size(); ++k)
      if (args[i].index == args[k].index) return true;
  return false;
}

Status add_rules(void* ctx, const SeccompSyscall& sc, uint32_t action) {
  std::vector<scmp_arg_cmp> cmps;
  for (const auto& a : sc.args) {
    const OpName* op = find_by_name(kOps, seccomp_op_name(a.op));
    cmps.push_back(scmp_arg_cmp{a.index, op->scmp, a.value, a.value_two});
  }
  for (const auto& name : sc.names) {
    int nr = seccomp_syscall_resolve_name(name.c_str());
    if (nr == __NR_SCMP_ERROR) continue;  // unknown to this libseccomp: skipped, as runc does
    int rc = 0;
    if (!repeats_an_index(sc.args)) {
      rc = seccomp_rule_add_array(ctx, action, nr, cmps.size(), cmps.data());
    } else {
      for (const auto& c : cmps)
        if ((rc = seccomp_rule_add_array(ctx, action, nr, 1, &c)) < 0) break;
    }
    if (rc < 0) return libseccomp_error("adding rule for " + in_quotes(name), rc);
  }
  return ok_status();
}

Result<std::vector<sock_filter>> export_bpf(void* ctx) {
  UniqueFd fd(memfd_create("berth-seccomp", MFD_CLOEXEC));
  if (!fd) return sys_error("seccomp: memfd_create");
  if (int rc = seccomp_export_bpf(ctx, fd.get()); rc < 0)
    return libseccomp_error("exporting the BPF program", rc);
  struct stat st {};
  if (fstat(fd.get(), &st) != 0) return sys_error("seccomp: fstat");
  size_t size = static_cast<size_t>(st.st_size);
  if (size == 0 || size % sizeof(sock_filter) != 0)
    return internal_error("seccomp: exported BPF program has odd size " + std::to_string(size));
  std::vector<sock_filter> prog(size / sizeof(sock_filter));
  auto* out = reinterpret_cast<char*>(prog.data());
  for (size_t done = 0; done < size;) {
    ssize_t n = pread(fd.get(), out + done, size - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return sys_error("seccomp: reading the BPF program", n < 0 ? errno : EIO);
    done += static_cast<size_t>(n);
  }
  if (prog.size() > BPF_MAXINSNS)
    return invalid_argument("seccomp profile: compiled filter has " + std::to_string(prog.size()) +
                            " instructions, more than the kernel's " +
                            std::to_string(BPF_MAXINSNS));
  return prog;
}

}  // namespace

std::string_view seccomp_action_name(SeccompAction a) {
  for (const auto& e : kActions)
    if (e.action == a) return e.name;
  return "";
}

std::string_view seccomp_op_name(SeccompOp op) {
  for (const auto& e : kOps)
    if (e.op == op) return e.name;
  return "";
}

Result<KernelVersion> parse_kernel_version(std::string_view release) {
  KernelVersion v;
  size_t i = 0;
  auto number = [&](int& out) {
    size_t start = i;
    out = 0;
    while (i < release.size() && release[i] >= '0' && release[i] <= '9' && i - start < 6)
      out = out * 10 + (release[i++] - '0');
    return i > start;
  };
  bool ok = number(v.major) && i < release.size() && release[i++] == '.' && number(v.minor) &&
            (i == release.size() || release[i] < '0' || release[i] > '9');
  if (!ok) return invalid_argument("invalid kernel version " + in_quotes(release));
  return v;
}

const SeccompTarget& host_seccomp_target() {
  static const SeccompTarget target = [] {
    SeccompTarget t;
#if defined(__x86_64__) && defined(__ILP32__)
    t.arch = "x32";
#elif defined(__x86_64__)
    t.arch = "amd64";
#elif defined(__i386__)
    t.arch = "x86";
#elif defined(__aarch64__)
    t.arch = "arm64";
#elif defined(__arm__)
    t.arch = "arm";
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    t.arch = "ppc64le";
#elif defined(__powerpc64__)
    t.arch = "ppc64";
#elif defined(__s390x__)
    t.arch = "s390x";
#elif defined(__riscv) && __riscv_xlen == 64
    t.arch = "riscv64";
#endif
    struct utsname u {};
    if (uname(&u) == 0) {
      auto kv = parse_kernel_version(u.release);
      if (kv.ok()) t.kernel = *kv;
    }
    return t;
  }();
  return target;
}

Result<SeccompProfile> parse_seccomp_profile(std::string_view json) {
  Json j;
  try {  // the one place nlohmann's exceptions are caught; the readers check types instead
    j = Json::parse(json.begin(), json.end());
  } catch (const Json::parse_error& e) {
    return profile_error("", "invalid JSON at byte " + std::to_string(e.byte));
  }
  return read_profile(j, /*docker=*/true);
}

Result<SeccompProfile> from_oci_seccomp(const Json& oci) { return read_profile(oci, false); }

SeccompProfile resolve_seccomp(const SeccompProfile& profile, const std::vector<std::string>& caps,
                               const SeccompTarget& target) {
  SeccompProfile out;
  out.default_action = profile.default_action;
  out.default_errno_ret = profile.default_errno_ret;
  out.architectures = profile.architectures;
  out.flags = profile.flags;
  out.listener_path = profile.listener_path;
  std::string_view native = native_scmp_arch(target.arch);
  for (const auto& m : profile.arch_map) {
    if (m.arch != native) continue;
    out.architectures.push_back(m.arch);
    out.architectures.insert(out.architectures.end(), m.sub_arches.begin(), m.sub_arches.end());
    break;
  }
  for (const auto& sc : profile.syscalls) {
    if (!rule_applies(sc, caps, target)) continue;
    SeccompSyscall copy = sc;
    copy.includes = {};
    copy.excludes = {};
    out.syscalls.push_back(std::move(copy));
  }
  return out;
}

Json to_oci_seccomp(const SeccompProfile& profile, const std::vector<std::string>& effective_caps,
                    const SeccompTarget& target) {
  SeccompProfile r = resolve_seccomp(profile, effective_caps, target);
  Json j = {{"defaultAction", seccomp_action_name(r.default_action)}};
  if (r.default_errno_ret) j["defaultErrnoRet"] = *r.default_errno_ret;
  if (!r.architectures.empty()) j["architectures"] = r.architectures;
  if (!r.flags.empty()) j["flags"] = r.flags;
  if (!r.listener_path.empty()) j["listenerPath"] = r.listener_path;
  if (!r.syscalls.empty()) {
    Json calls = Json::array();
    for (const auto& sc : r.syscalls) calls.push_back(syscall_to_oci_json(sc));
    j["syscalls"] = std::move(calls);
  }
  return j;
}

Result<CompiledSeccomp> compile_seccomp(const SeccompProfile& resolved) {
  if (!resolved.arch_map.empty())
    return invalid_argument("seccomp profile: compile needs a resolved profile (archMap present)");
  for (const auto& sc : resolved.syscalls)
    if (!sc.includes.empty() || !sc.excludes.empty())
      return invalid_argument(
          "seccomp profile: compile needs a resolved profile (includes/excludes present)");
  BERTH_ASSIGN_OR_RETURN(uint32_t def,
                         scmp_action(resolved.default_action, resolved.default_errno_ret));
  FilterCtx ctx(seccomp_init(def));
  if (!ctx) return internal_error("seccomp: seccomp_init failed");
  for (const auto& name : resolved.architectures) {
    const ArchName* a = find_arch(name);
    if (!a) return invalid_argument("seccomp profile: unknown architecture " + in_quotes(name));
    int rc = seccomp_arch_add(ctx.get(), a->token);
    if (rc < 0 && rc != -EEXIST)
      return libseccomp_error("adding architecture " + in_quotes(name), rc);
  }
  // A binary tree keeps the ~400-rule default policy to a few comparisons per syscall.
  seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_OPTIMIZE, 2);
  for (const auto& sc : resolved.syscalls) {
    BERTH_ASSIGN_OR_RETURN(uint32_t action, scmp_action(sc.action, sc.errno_ret));
    if (action == def) continue;  // libseccomp refuses rules that repeat the default action
    BERTH_TRY(add_rules(ctx.get(), sc, action));
  }
  CompiledSeccomp out;
  for (const auto& f : resolved.flags) out.flags |= find_by_name(kFlags, f)->bit;
  BERTH_ASSIGN_OR_RETURN(out.prog, export_bpf(ctx.get()));
  return out;
}

constexpr std::string_view kCompiledMagic = "BSC1";

// The first line of every cache key: a new libseccomp may compile differently.
static std::string version_line() {
  const scmp_version* v = seccomp_version();
  return "berth-seccomp-v1 libseccomp " + std::to_string(v->major) + "." +
         std::to_string(v->minor) + "." + std::to_string(v->micro) + "\n";
}


std::string seccomp_cache_key(const SeccompProfile& resolved) {
  return version_line() + to_oci_seccomp(resolved, {}).dump();
}

std::string encode_compiled_seccomp(const CompiledSeccomp& c) {
  std::string out(kCompiledMagic);
  out.append(reinterpret_cast<const char*>(&c.flags), sizeof(c.flags));
  out.append(reinterpret_cast<const char*>(c.prog.data()), c.prog.size() * sizeof(sock_filter));
  return out;
}

namespace {
std::string& cache_dir() {
  static std::string dir;
  return dir;
}
}  // namespace

void set_seccomp_cache_dir(std::string dir) { cache_dir() = std::move(dir); }

namespace {

// The cache lookup and fill shared by both entry points: `key` names the program in full,
// `compile` runs only on a miss.
Result<CompiledSeccomp> cached(const std::string& key,
                               const std::function<Result<CompiledSeccomp>()>& compile) {
  const std::string& dir = cache_dir();
  uint64_t h = stable_hash64(key);  // a file name only: the key is checked in full
  char name[32];
  std::snprintf(name, sizeof name, "%016llx.bpf", static_cast<unsigned long long>(h));
  std::string path = path_join(dir, name);
  if (auto text = read_file(path); text.ok() && text->size() > 4) {
    uint32_t len = 0;
    std::memcpy(&len, text->data(), 4);
    if (len <= text->size() - 4 && std::string_view(*text).substr(4, len) == key) {
      auto c = decode_compiled_seccomp(std::string_view(*text).substr(4 + len));
      if (c.ok()) return c;
    }
  }
  BERTH_ASSIGN_OR_RETURN(auto compiled, compile());
  std::string out(4, '\0');
  uint32_t len = static_cast<uint32_t>(key.size());
  std::memcpy(out.data(), &len, 4);
  out += key;
  out += encode_compiled_seccomp(compiled);
  // A cache that cannot be written only costs the next start a compile.
  if (mkdir_all(dir, 0700).ok()) (void)atomic_write_file(path, out, 0600);
  return compiled;
}

}  // namespace

Result<CompiledSeccomp> compile_seccomp_cached(const SeccompProfile& resolved) {
  if (cache_dir().empty()) return compile_seccomp(resolved);
  return cached(seccomp_cache_key(resolved), [&] { return compile_seccomp(resolved); });
}

Result<CompiledSeccomp> compile_oci_seccomp_cached(const std::string& oci_json) {
  auto compile = [&]() -> Result<CompiledSeccomp> {
    auto j = nlohmann::json::parse(oci_json, nullptr, false);
    if (j.is_discarded()) return invalid_argument("linux.seccomp is not valid JSON");
    BERTH_ASSIGN_OR_RETURN(auto profile, from_oci_seccomp(j));
    return compile_seccomp(profile);
  };
  if (cache_dir().empty()) return compile();
  return cached(version_line() + "oci " + oci_json, compile);
}

Result<CompiledSeccomp> decode_compiled_seccomp(std::string_view bytes) {
  size_t header = kCompiledMagic.size() + sizeof(unsigned);
  if (bytes.size() < header || bytes.substr(0, kCompiledMagic.size()) != kCompiledMagic)
    return invalid_argument("compiled seccomp: bad header");
  size_t body = bytes.size() - header;
  if (body == 0 || body % sizeof(sock_filter) != 0 || body / sizeof(sock_filter) > BPF_MAXINSNS)
    return invalid_argument("compiled seccomp: bad size " + std::to_string(bytes.size()));
  CompiledSeccomp c;
  std::memcpy(&c.flags, bytes.data() + kCompiledMagic.size(), sizeof(c.flags));
  c.prog.resize(body / sizeof(sock_filter));
  std::memcpy(c.prog.data(), bytes.data() + header, body);
  return c;
}

int apply_compiled_seccomp(const CompiledSeccomp& c) noexcept {
  if (c.prog.empty()) return -EINVAL;
  struct sock_fprog prog = {static_cast<unsigned short>(c.prog.size()),
                            const_cast<struct sock_filter*>(c.prog.data())};
  long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, c.flags, &prog);
  if (rc == 0) return 0;
  if (rc > 0) return -ESRCH;  // TSYNC: another thread could not be synchronized
  int err = errno;
  if (err == ENOSYS && c.flags == 0) {
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) == 0) return 0;
    err = errno;
  }
  return -err;
}

}  // namespace berth::runtime
