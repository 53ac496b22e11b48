// cgroup v2 device filter: a BPF_PROG_TYPE_CGROUP_DEVICE program generated from the OCI rules,
// loaded and attached with raw bpf(2) (no libbpf needed for a program this small).
#include "runtime/internal/cgroup_bpf.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>

#include "base/unique_fd.h"

namespace berth::runtime::internal {

namespace {

enum Reg : uint8_t { R0, R1, R2, R3, R4, R5, R6, R7 };

bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  bpf_insn i;
  std::memset(&i, 0, sizeof i);
  i.code = code;
  i.dst_reg = dst & 0xf;
  i.src_reg = src & 0xf;
  i.off = off;
  i.imm = imm;
  return i;
}
bpf_insn load_u32(Reg dst, Reg src, size_t off) {
  return insn(BPF_LDX | BPF_MEM | BPF_W, dst, src, static_cast<int16_t>(off), 0);
}
bpf_insn mov_reg(Reg dst, Reg src) { return insn(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0); }
bpf_insn mov_imm(Reg dst, int32_t imm) { return insn(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm); }
bpf_insn alu_imm(uint8_t op, Reg dst, int32_t imm) {
  return insn(BPF_ALU64 | op | BPF_K, dst, 0, 0, imm);
}
// Jump target patched once the rule's block is complete.
bpf_insn jump_imm(uint8_t op, Reg dst, int32_t imm) {
  return insn(BPF_JMP | op | BPF_K, dst, 0, 0, imm);
}
bpf_insn exit_insn() { return insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0); }

int32_t access_bits(const std::string& access) {
  int32_t bits = 0;
  for (char c : access) {
    if (c == 'r') bits |= BPF_DEVCG_ACC_READ;
    if (c == 'w') bits |= BPF_DEVCG_ACC_WRITE;
    if (c == 'm') bits |= BPF_DEVCG_ACC_MKNOD;
  }
  return bits;
}

constexpr int32_t kAllAccess = BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD;

// Appends the test of one rule: each failed condition jumps past the block; when all hold the
// program returns the rule's verdict. Returns false when the rule matches every request (no
// condition), so nothing after it is reachable; the verifier refuses unreachable code.
bool append_rule(std::vector<bpf_insn>& p, const DeviceRule& rule) {
  std::vector<size_t> skips;
  auto skip_if = [&](uint8_t op, Reg reg, int32_t imm) {
    skips.push_back(p.size());
    p.push_back(jump_imm(op, reg, imm));
  };
  if (rule.type != 'a') {
    skip_if(BPF_JNE, R3, rule.type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK);
  }
  int32_t acc = access_bits(rule.access);
  if (acc != kAllAccess) {
    p.push_back(mov_reg(R7, R4));
    if (rule.allow) {  // allow only when every requested bit is granted
      p.push_back(alu_imm(BPF_AND, R7, ~acc & kAllAccess));
      skip_if(BPF_JNE, R7, 0);
    } else {  // deny when any requested bit is denied
      p.push_back(alu_imm(BPF_AND, R7, acc));
      skip_if(BPF_JEQ, R7, 0);
    }
  }
  if (rule.major >= 0) skip_if(BPF_JNE, R5, static_cast<int32_t>(rule.major));
  if (rule.minor >= 0) skip_if(BPF_JNE, R6, static_cast<int32_t>(rule.minor));
  p.push_back(mov_imm(R0, rule.allow ? 1 : 0));
  p.push_back(exit_insn());
  for (size_t at : skips) p[at].off = static_cast<int16_t>(p.size() - at - 1);
  return !skips.empty();
}

uint64_t ptr(const void* p) { return reinterpret_cast<uintptr_t>(p); }

long bpf(int cmd, bpf_attr& attr) { return ::syscall(SYS_bpf, cmd, &attr, sizeof attr); }

Result<UniqueFd> load_program(const std::vector<bpf_insn>& prog) {
  static const char kLicense[] = "Apache-2.0";
  bpf_attr attr;
  std::memset(&attr, 0, sizeof attr);
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = ptr(prog.data());
  attr.insn_cnt = static_cast<uint32_t>(prog.size());
  attr.license = ptr(kLicense);
  long fd = bpf(BPF_PROG_LOAD, attr);
  if (fd >= 0) return UniqueFd(static_cast<int>(fd));
  int err = errno;
  // Load again with the verifier's log, only to explain the failure.
  std::string log(16384, '\0');
  attr.log_level = 1;
  attr.log_buf = ptr(log.data());
  attr.log_size = static_cast<uint32_t>(log.size());
  long again = bpf(BPF_PROG_LOAD, attr);
  if (again >= 0) ::close(static_cast<int>(again));
  log.resize(std::strlen(log.c_str()));
  Error e = sys_error("bpf(BPF_PROG_LOAD) of the device filter", err);
  if (!log.empty()) e = Error(e.code(), e.message() + "; verifier: " + log, err);
  return e;
}

Result<std::vector<uint32_t>> attached_programs(int cgroup_fd) {
  std::vector<uint32_t> ids(64);
  bpf_attr attr;
  std::memset(&attr, 0, sizeof attr);
  attr.query.target_fd = static_cast<uint32_t>(cgroup_fd);
  attr.query.attach_type = BPF_CGROUP_DEVICE;
  attr.query.prog_ids = ptr(ids.data());
  attr.query.prog_cnt = static_cast<uint32_t>(ids.size());
  if (bpf(BPF_PROG_QUERY, attr) < 0) return sys_error("bpf(BPF_PROG_QUERY)");
  ids.resize(attr.query.prog_cnt);
  return ids;
}

Status detach_program(int cgroup_fd, uint32_t id) {
  bpf_attr attr;
  std::memset(&attr, 0, sizeof attr);
  attr.prog_id = id;
  long fd = bpf(BPF_PROG_GET_FD_BY_ID, attr);
  if (fd < 0) {
    if (errno == ENOENT) return {};  // already gone
    return sys_error("bpf(BPF_PROG_GET_FD_BY_ID) of program " + std::to_string(id));
  }
  UniqueFd prog(static_cast<int>(fd));
  std::memset(&attr, 0, sizeof attr);
  attr.target_fd = static_cast<uint32_t>(cgroup_fd);
  attr.attach_bpf_fd = static_cast<uint32_t>(prog.get());
  attr.attach_type = BPF_CGROUP_DEVICE;
  if (bpf(BPF_PROG_DETACH, attr) < 0 && errno != ENOENT) {
    return sys_error("bpf(BPF_PROG_DETACH) of program " + std::to_string(id));
  }
  return {};
}

}  // namespace

std::vector<bpf_insn> device_filter_program(const std::vector<DeviceRule>& rules) {
  std::vector<bpf_insn> p = {
      load_u32(R2, R1, offsetof(bpf_cgroup_dev_ctx, access_type)),
      mov_reg(R3, R2),
      alu_imm(BPF_AND, R3, 0xffff),  // R3 = device type (BPF_DEVCG_DEV_*)
      mov_reg(R4, R2),
      alu_imm(BPF_RSH, R4, 16),  // R4 = requested access (BPF_DEVCG_ACC_*)
      load_u32(R5, R1, offsetof(bpf_cgroup_dev_ctx, major)),
      load_u32(R6, R1, offsetof(bpf_cgroup_dev_ctx, minor)),
  };
  for (auto it = rules.rbegin(); it != rules.rend(); ++it) {
    if (!append_rule(p, *it)) return p;
  }
  p.push_back(mov_imm(R0, 1));
  p.push_back(exit_insn());
  return p;
}

Status set_device_filter(int cgroup_fd, const std::vector<DeviceRule>& rules) {
  BERTH_ASSIGN_OR_RETURN(std::vector<uint32_t> old, attached_programs(cgroup_fd));
  BERTH_ASSIGN_OR_RETURN(UniqueFd prog, load_program(device_filter_program(rules)));
  bpf_attr attr;
  std::memset(&attr, 0, sizeof attr);
  attr.target_fd = static_cast<uint32_t>(cgroup_fd);
  attr.attach_bpf_fd = static_cast<uint32_t>(prog.get());
  attr.attach_type = BPF_CGROUP_DEVICE;
  attr.attach_flags = BPF_F_ALLOW_MULTI;
  if (bpf(BPF_PROG_ATTACH, attr) < 0) return sys_error("bpf(BPF_PROG_ATTACH) of the device filter");
  for (uint32_t id : old) BERTH_TRY(detach_program(cgroup_fd, id));
  return {};
}

}  // namespace berth::runtime::internal
