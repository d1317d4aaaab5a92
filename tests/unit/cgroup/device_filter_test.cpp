#include <catch2/catch.hpp>
#include <linux/bpf.h>

#include <set>

#include "engine/cgroup/device_filter.h"

using namespace berth::cgroup;

namespace {

constexpr uint32_t kMknod = BPF_DEVCG_ACC_MKNOD, kRead = BPF_DEVCG_ACC_READ, kWrite = BPF_DEVCG_ACC_WRITE;
constexpr uint32_t kChar = BPF_DEVCG_DEV_CHAR, kBlock = BPF_DEVCG_DEV_BLOCK;

// The structural rules the kernel's verifier enforces that matter here: every jump lands inside the program, the
// last instruction ends it, and no instruction is unreachable.
void check_structure(const std::vector<BpfInstruction>& program) {
  REQUIRE(!program.empty());
  CHECK(program.back().code == (BPF_JMP | BPF_EXIT));
  std::set<size_t> reached;
  std::vector<size_t> pending = {0};
  while (!pending.empty()) {
    size_t pc = pending.back();
    pending.pop_back();
    REQUIRE(pc < program.size());
    if (!reached.insert(pc).second) continue;
    const auto& instruction = program[pc];
    if (instruction.code == (BPF_JMP | BPF_EXIT)) continue;
    pending.push_back(pc + 1);
    if (BPF_CLASS(instruction.code) == BPF_JMP) {
      REQUIRE(instruction.offset >= 0);  // forward only: no loops
      pending.push_back(pc + 1 + static_cast<size_t>(instruction.offset));
    }
  }
  CHECK(reached.size() == program.size());
}

// A tiny interpreter for the instructions the compiler emits, so rule sets can be checked for their verdicts
// without loading anything into a kernel.
int run(const std::vector<BpfInstruction>& program, uint32_t type, uint32_t access, uint32_t major, uint32_t minor) {
  const uint32_t context[3] = {(access << 16) | type, major, minor};
  uint64_t registers[11] = {};
  bool context_pointer_in_r1 = true;
  for (size_t pc = 0; pc < program.size(); ++pc) {
    const auto& in = program[pc];
    auto& dst = registers[in.dst];
    switch (in.code) {
      case BPF_LDX | BPF_W | BPF_MEM:
        REQUIRE(in.src == 1);
        REQUIRE(context_pointer_in_r1);
        REQUIRE(in.offset % 4 == 0);
        REQUIRE(in.offset / 4 < 3);
        dst = context[in.offset / 4];
        break;
      case BPF_ALU | BPF_AND | BPF_K: dst = static_cast<uint32_t>(dst & static_cast<uint32_t>(in.immediate)); break;
      case BPF_ALU | BPF_RSH | BPF_K: dst = static_cast<uint32_t>(dst) >> in.immediate; break;
      case BPF_ALU | BPF_MOV | BPF_X: dst = static_cast<uint32_t>(registers[in.src]); break;
      case BPF_ALU64 | BPF_MOV | BPF_K: dst = static_cast<uint64_t>(static_cast<int64_t>(in.immediate)); break;
      case BPF_JMP | BPF_JNE | BPF_K:
        if (dst != static_cast<uint64_t>(static_cast<int64_t>(in.immediate))) pc += in.offset;
        break;
      case BPF_JMP | BPF_JEQ | BPF_K:
        if (dst == static_cast<uint64_t>(static_cast<int64_t>(in.immediate))) pc += in.offset;
        break;
      case BPF_JMP | BPF_JNE | BPF_X:
        if (dst != registers[in.src]) pc += in.offset;
        break;
      case BPF_JMP | BPF_EXIT: return static_cast<int>(registers[0]);
      default: FAIL("unexpected instruction code " << int(in.code) << " at " << pc);
    }
    if (in.dst == 1 && in.code != (BPF_JMP | BPF_JNE | BPF_X) && BPF_CLASS(in.code) != BPF_JMP)
      context_pointer_in_r1 = false;
  }
  FAIL("ran off the end of the program");
  return -1;
}

std::vector<BpfInstruction> compile(const std::vector<DeviceRule>& rules) {
  auto program = compile_device_filter(rules);
  REQUIRE(program);
  check_structure(*program);
  return *program;
}

// Docker's defaults (daemon/pkg/oci/defaults.go): deny all, a few character devices, and fuse denied.
const std::vector<DeviceRule> kDockerRules = {
    {false, 'a', -1, -1, "rwm"}, {true, 'c', 1, 5, "rwm"}, {true, 'c', 1, 3, "rwm"},
    {true, 'c', 1, 9, "rwm"},    {true, 'c', 1, 8, "rwm"}, {true, 'c', 5, 0, "rwm"},
    {true, 'c', 5, 1, "rwm"},    {true, 'c', -1, -1, "m"}, {true, 'b', -1, -1, "m"},
    {false, 'c', 10, 229, "rwm"},
};

}  // namespace

TEST_CASE("compile_device_filter: exact instructions for one rule") {
  auto program = compile({{true, 'c', 1, 3, "rwm"}});
  std::vector<BpfInstruction> expected = {
      {BPF_LDX | BPF_W | BPF_MEM, 2, 1, 0, 0},      // r2 = access_type
      {BPF_ALU | BPF_AND | BPF_K, 2, 0, 0, 0xffff},  // r2 = type
      {BPF_LDX | BPF_W | BPF_MEM, 3, 1, 0, 0},      // r3 = access_type
      {BPF_ALU | BPF_RSH | BPF_K, 3, 0, 0, 16},      // r3 = access
      {BPF_LDX | BPF_W | BPF_MEM, 4, 1, 4, 0},      // r4 = major
      {BPF_LDX | BPF_W | BPF_MEM, 5, 1, 8, 0},      // r5 = minor
      {BPF_JMP | BPF_JNE | BPF_K, 2, 0, 4, BPF_DEVCG_DEV_CHAR},
      {BPF_JMP | BPF_JNE | BPF_K, 4, 0, 3, 1},
      {BPF_JMP | BPF_JNE | BPF_K, 5, 0, 2, 3},
      {BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 1},
      {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
      {BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0},  // nothing matched: deny
      {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
  };
  CHECK(program == expected);
}

TEST_CASE("compile_device_filter: no rules deny everything") {
  auto program = compile({});
  CHECK(program.size() == 8);
  CHECK(run(program, kChar, kRead, 1, 3) == 0);
  CHECK(run(program, kBlock, kMknod, 8, 0) == 0);
}

TEST_CASE("compile_device_filter: Docker's default rules") {
  auto program = compile(kDockerRules);
  CHECK(run(program, kChar, kRead | kWrite, 1, 3) == 1);   // /dev/null
  CHECK(run(program, kChar, kRead, 1, 9) == 1);            // /dev/urandom
  CHECK(run(program, kChar, kRead | kWrite, 1, 7) == 0);   // /dev/full is not in Docker's list
  CHECK(run(program, kChar, kMknod, 1, 7) == 1);           // but anything may be mknod'ed
  CHECK(run(program, kBlock, kMknod, 8, 0) == 1);
  CHECK(run(program, kBlock, kRead, 8, 0) == 0);           // block devices cannot be opened
  CHECK(run(program, kChar, kRead | kWrite, 10, 229) == 0);  // fuse: denied last
  CHECK(run(program, kChar, kMknod, 10, 229) == 0);
  CHECK(run(program, kChar, kRead, 4, 1) == 0);
}

TEST_CASE("compile_device_filter: an allow rule must cover every requested access") {
  auto program = compile({{false, 'a', -1, -1, "rwm"}, {true, 'c', 1, 3, "r"}});
  CHECK(run(program, kChar, kRead, 1, 3) == 1);
  CHECK(run(program, kChar, kWrite, 1, 3) == 0);
  CHECK(run(program, kChar, kRead | kWrite, 1, 3) == 0);
  CHECK(run(program, kBlock, kRead, 1, 3) == 0);  // wrong type
}

TEST_CASE("compile_device_filter: a deny rule takes away any access it lists") {
  auto program = compile({{true, 'a', -1, -1, "rwm"}, {false, 'c', 1, 3, "w"}});
  CHECK(run(program, kChar, kRead, 1, 3) == 1);
  CHECK(run(program, kChar, kWrite, 1, 3) == 0);
  CHECK(run(program, kChar, kRead | kWrite, 1, 3) == 0);
  CHECK(run(program, kChar, kRead | kWrite, 1, 5) == 1);
  CHECK(run(program, kBlock, kWrite, 1, 3) == 1);
}

TEST_CASE("compile_device_filter: the last matching rule decides") {
  auto denied = compile({{false, 'a', -1, -1, "rwm"}, {true, 'c', 1, 3, "rwm"}, {false, 'c', 1, 3, "rwm"}});
  CHECK(run(denied, kChar, kRead, 1, 3) == 0);
  auto allowed = compile({{false, 'a', -1, -1, "rwm"}, {false, 'c', 1, 3, "rwm"}, {true, 'c', 1, 3, "rwm"}});
  CHECK(run(allowed, kChar, kRead, 1, 3) == 1);
  auto majors = compile({{false, 'a', -1, -1, "rwm"}, {true, 'c', 136, -1, "rwm"}});
  CHECK(run(majors, kChar, kRead | kWrite, 136, 0) == 1);
  CHECK(run(majors, kChar, kRead | kWrite, 136, 4095) == 1);
  CHECK(run(majors, kChar, kRead | kWrite, 137, 0) == 0);
}

TEST_CASE("compile_device_filter: a rule matching everything ends the program") {
  // "allow a" last: nothing before it can matter, and the verifier would reject the dead code.
  auto program = compile({{true, 'c', 1, 3, "rwm"}, {false, 'c', 1, 7, "rwm"}, {true, 'a', -1, -1, "rwm"}});
  CHECK(program.size() == 8);  // prologue, r0 = 1, exit
  CHECK(run(program, kChar, kRead, 1, 7) == 1);
  // "deny a" first is just the default and costs no block.
  auto denied_first = compile({{false, 'a', -1, -1, "rwm"}});
  CHECK(denied_first.size() == 8);
  CHECK(run(denied_first, kChar, kMknod, 1, 3) == 0);
}

TEST_CASE("compile_device_filter refuses invalid rules") {
  CHECK_FALSE(compile_device_filter({{true, 'x', 1, 3, "rwm"}}));
  CHECK_FALSE(compile_device_filter({{true, 'c', 1, 3, "rwz"}}));
  CHECK_FALSE(compile_device_filter({{true, 'c', int64_t{1} << 32, 3, "r"}}));
}
