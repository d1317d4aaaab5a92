// The device-cgroup rules of a cgroup v2 container as an eBPF program (BPF_PROG_TYPE_CGROUP_DEVICE): v2 has no
// devices controller, the kernel asks an attached program instead ("may this task mknod/read/write c 1:7?").
// compile_device_filter() is pure; attach_device_filter() loads and attaches with the raw bpf(2) syscall.
#pragma once

#include <cstdint>
#include <vector>

#include "core/result.h"
#include "engine/cgroup/cgroup.h"

namespace berth::cgroup {

// One eBPF instruction, field for field the kernel's struct bpf_insn (code, dst_reg:4, src_reg:4, off, imm).
struct BpfInstruction {
  uint8_t code = 0;
  uint8_t dst = 0;
  uint8_t src = 0;
  int16_t offset = 0;
  int32_t immediate = 0;
  bool operator==(const BpfInstruction&) const = default;
};

// The program for `rules`. It reads the request from struct bpf_cgroup_dev_ctx into r2 (type: 1 block, 2 char),
// r3 (access: 1 mknod, 2 read, 4 write), r4 (major) and r5 (minor), then tests one block per rule, last rule first,
// so the last matching rule decides; the first block that matches returns 1 (allow) or 0 (deny), and a request no
// rule matches is denied. An allow rule matches when it covers every requested access, a deny rule when it covers
// any of them (as v1's devices.deny takes the listed accesses away). A rule that matches everything ends the program:
// the verifier refuses code that can never run.
Result<std::vector<BpfInstruction>> compile_device_filter(const std::vector<DeviceRule>& rules);

// Loads `program` and attaches it to the cgroup directory `cgroup_fd` (BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI),
// replacing any device program attached there before, so re-applying rules never stacks filters.
Result<void> attach_device_filter(int cgroup_fd, const std::vector<BpfInstruction>& program);

}  // namespace berth::cgroup
