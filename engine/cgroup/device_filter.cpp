#include "engine/cgroup/device_filter.h"

#include <fmt/core.h>
#include <linux/bpf.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "core/fd.h"
#include "engine/cgroup/plan.h"

namespace berth::cgroup {
namespace {

// Registers: r1 holds the context pointer on entry and is scratch after the prologue; r0 is the verdict.
constexpr uint8_t kContext = 1, kScratch = 1, kType = 2, kAccess = 3, kMajor = 4, kMinor = 5, kResult = 0;
constexpr int32_t kAllAccess = BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE;

BpfInstruction load_word(uint8_t dst, uint8_t base, int16_t offset) {
  return {BPF_LDX | BPF_W | BPF_MEM, dst, base, offset, 0};
}
BpfInstruction alu32_immediate(uint8_t operation, uint8_t dst, int32_t immediate) {
  return {static_cast<uint8_t>(BPF_ALU | operation | BPF_K), dst, 0, 0, immediate};
}
BpfInstruction move32_register(uint8_t dst, uint8_t src) { return {BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0}; }
BpfInstruction move64_immediate(uint8_t dst, int32_t immediate) {
  return {BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, immediate};
}
BpfInstruction jump_immediate(uint8_t operation, uint8_t dst, int32_t immediate, int16_t offset) {
  return {static_cast<uint8_t>(BPF_JMP | operation | BPF_K), dst, 0, offset, immediate};
}
BpfInstruction jump_register(uint8_t operation, uint8_t dst, uint8_t src, int16_t offset) {
  return {static_cast<uint8_t>(BPF_JMP | operation | BPF_X), dst, src, offset, 0};
}
BpfInstruction exit_program() { return {BPF_JMP | BPF_EXIT, 0, 0, 0, 0}; }

int32_t access_bits(const std::string& access) {
  int32_t bits = 0;
  for (char c : access) {
    if (c == 'r') bits |= BPF_DEVCG_ACC_READ;
    if (c == 'w') bits |= BPF_DEVCG_ACC_WRITE;
    if (c == 'm') bits |= BPF_DEVCG_ACC_MKNOD;
  }
  return bits;
}

// One rule's block. Each test jumps past the rest of the block (to the next rule) when it fails; the offsets are
// filled in once the block's length is known. Returns false when the rule has no test at all.
bool append_rule(const DeviceRule& rule, std::vector<BpfInstruction>& program) {
  std::vector<BpfInstruction> block;
  std::vector<size_t> exits_to_next;  // indexes in `block` of jumps to the next rule
  if (rule.type != 'a') {
    exits_to_next.push_back(block.size());
    block.push_back(jump_immediate(BPF_JNE, kType, rule.type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR, 0));
  }
  int32_t access = access_bits(rule.access);
  if (access != kAllAccess) {
    block.push_back(move32_register(kScratch, kAccess));
    block.push_back(alu32_immediate(BPF_AND, kScratch, access));
    exits_to_next.push_back(block.size());
    if (rule.allow)  // allow only if every requested access is listed
      block.push_back(jump_register(BPF_JNE, kScratch, kAccess, 0));
    else  // deny if any requested access is listed
      block.push_back(jump_immediate(BPF_JEQ, kScratch, 0, 0));
  }
  if (rule.major >= 0) {
    exits_to_next.push_back(block.size());
    block.push_back(jump_immediate(BPF_JNE, kMajor, static_cast<int32_t>(rule.major), 0));
  }
  if (rule.minor >= 0) {
    exits_to_next.push_back(block.size());
    block.push_back(jump_immediate(BPF_JNE, kMinor, static_cast<int32_t>(rule.minor), 0));
  }
  bool has_tests = !block.empty();
  block.push_back(move64_immediate(kResult, rule.allow ? 1 : 0));
  block.push_back(exit_program());
  // A jump's offset counts the instructions after it that it skips.
  for (size_t index : exits_to_next) block[index].offset = static_cast<int16_t>(block.size() - index - 1);
  program.insert(program.end(), block.begin(), block.end());
  return has_tests;
}

long bpf_call(int command, union bpf_attr& attributes) {
  return ::syscall(__NR_bpf, command, &attributes, sizeof attributes);
}

uint64_t pointer_value(const void* pointer) { return reinterpret_cast<uintptr_t>(pointer); }

Result<UniqueFd> load_program(const std::vector<BpfInstruction>& program) {
  std::vector<bpf_insn> instructions(program.size());
  for (size_t i = 0; i < program.size(); ++i) {
    instructions[i].code = program[i].code;
    instructions[i].dst_reg = program[i].dst & 0xf;
    instructions[i].src_reg = program[i].src & 0xf;
    instructions[i].off = program[i].offset;
    instructions[i].imm = program[i].immediate;
  }
  static const char kLicense[] = "Apache-2.0";  // the program calls no GPL-only helper
  union bpf_attr attributes;
  std::memset(&attributes, 0, sizeof attributes);
  attributes.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attributes.insns = pointer_value(instructions.data());
  attributes.insn_cnt = static_cast<uint32_t>(instructions.size());
  attributes.license = pointer_value(kLicense);
  long fd = bpf_call(BPF_PROG_LOAD, attributes);
  if (fd >= 0) return UniqueFd(static_cast<int>(fd));
  int load_errno = errno;
  // Load again with the verifier's log, only to say why.
  std::string log(64 * 1024, '\0');
  attributes.log_level = 1;
  attributes.log_buf = pointer_value(log.data());
  attributes.log_size = static_cast<uint32_t>(log.size());
  fd = bpf_call(BPF_PROG_LOAD, attributes);
  if (fd >= 0) return UniqueFd(static_cast<int>(fd));  // a transient failure the first time
  log.resize(std::strlen(log.c_str()));
  while (!log.empty() && log.back() == '\n') log.pop_back();
  auto last_line = log.substr(log.find_last_of('\n') == std::string::npos ? 0 : log.find_last_of('\n') + 1);
  return sys_error(fmt::format("bpf(BPF_PROG_LOAD) of a {}-instruction device filter{}{}", program.size(),
                               last_line.empty() ? "" : ", verifier: ", last_line),
                   load_errno);
}

Result<std::vector<uint32_t>> attached_program_ids(int cgroup_fd) {
  std::vector<uint32_t> ids(64);
  for (;;) {
    union bpf_attr attributes;
    std::memset(&attributes, 0, sizeof attributes);
    attributes.query.target_fd = static_cast<uint32_t>(cgroup_fd);
    attributes.query.attach_type = BPF_CGROUP_DEVICE;
    attributes.query.prog_ids = pointer_value(ids.data());
    attributes.query.prog_cnt = static_cast<uint32_t>(ids.size());
    if (bpf_call(BPF_PROG_QUERY, attributes) == 0) {
      ids.resize(attributes.query.prog_cnt);
      return ids;
    }
    if (errno != ENOSPC || ids.size() >= 65536) return sys_error("bpf(BPF_PROG_QUERY) of the cgroup's device programs");
    ids.resize(ids.size() * 4);
  }
}

Result<UniqueFd> program_fd_by_id(uint32_t id) {
  union bpf_attr attributes;
  std::memset(&attributes, 0, sizeof attributes);
  attributes.prog_id = id;
  long fd = bpf_call(BPF_PROG_GET_FD_BY_ID, attributes);
  if (fd < 0) return sys_error(fmt::format("bpf(BPF_PROG_GET_FD_BY_ID {})", id));
  return UniqueFd(static_cast<int>(fd));
}

Result<void> attach(int cgroup_fd, int program_fd, int replaced_fd) {
  union bpf_attr attributes;
  std::memset(&attributes, 0, sizeof attributes);
  attributes.target_fd = static_cast<uint32_t>(cgroup_fd);
  attributes.attach_bpf_fd = static_cast<uint32_t>(program_fd);
  attributes.attach_type = BPF_CGROUP_DEVICE;
  attributes.attach_flags = BPF_F_ALLOW_MULTI;
  if (replaced_fd >= 0) {
    attributes.attach_flags |= BPF_F_REPLACE;
    attributes.replace_bpf_fd = static_cast<uint32_t>(replaced_fd);
  }
  if (bpf_call(BPF_PROG_ATTACH, attributes) != 0) return sys_error("bpf(BPF_PROG_ATTACH) of the device filter");
  return {};
}

}  // namespace

Result<std::vector<BpfInstruction>> compile_device_filter(const std::vector<DeviceRule>& rules) {
  BERTH_TRY(validate_device_rules(rules));  // also keeps numbers within the instructions' signed 32 bits
  std::vector<BpfInstruction> program = {
      load_word(kType, kContext, 0),  // access_type = (access << 16) | type
      alu32_immediate(BPF_AND, kType, 0xffff),
      load_word(kAccess, kContext, 0),
      alu32_immediate(BPF_RSH, kAccess, 16),
      load_word(kMajor, kContext, 4),
      load_word(kMinor, kContext, 8),
  };
  for (auto rule = rules.rbegin(); rule != rules.rend(); ++rule)
    if (!append_rule(*rule, program)) return program;  // matches everything: nothing after it could run
  program.push_back(move64_immediate(kResult, 0));
  program.push_back(exit_program());
  return program;
}

Result<void> attach_device_filter(int cgroup_fd, const std::vector<BpfInstruction>& program) {
  auto loaded = BERTH_TRY(load_program(program));
  auto previous = BERTH_TRY(attached_program_ids(cgroup_fd));
  // One program of ours already there: swap it atomically, so there is no moment with two filters or none.
  if (previous.size() == 1) {
    auto replaced = program_fd_by_id(previous.front());
    if (replaced) {
      auto swapped = attach(cgroup_fd, loaded.get(), replaced->get());
      if (swapped) return {};
      if (swapped.error().errno_value() != EINVAL && swapped.error().errno_value() != ENOENT) return swapped;
    }
  }
  BERTH_TRY(attach(cgroup_fd, loaded.get(), -1));
  for (uint32_t id : previous) {
    auto old = program_fd_by_id(id);
    if (!old) continue;  // detached meanwhile
    union bpf_attr attributes;
    std::memset(&attributes, 0, sizeof attributes);
    attributes.target_fd = static_cast<uint32_t>(cgroup_fd);
    attributes.attach_bpf_fd = static_cast<uint32_t>(old->get());
    attributes.attach_type = BPF_CGROUP_DEVICE;
    if (bpf_call(BPF_PROG_DETACH, attributes) != 0 && errno != ENOENT)
      return sys_error(fmt::format("bpf(BPF_PROG_DETACH) of the previous device filter {}", id));
  }
  return {};
}

}  // namespace berth::cgroup
