// Pure decisions about what to write into cgroupfs: which files, which values, in which order. cgroup.cpp only
// carries them out, so every rule here is unit-tested without a kernel.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "engine/cgroup/cgroup.h"

namespace berth::cgroup {

// The v1 hierarchies berth makes a directory in (also in hybrid mode). name=systemd is there so that tools reading
// /proc/PID/cgroup see the container as in runc; freezer lets remove() stop forks while it kills.
inline constexpr const char* kV1Hierarchies[] = {"memory", "cpu",     "cpuacct", "pids",        "cpuset",
                                                 "devices", "freezer", "blkio",   "name=systemd"};
// The v2 controllers berth enables in the subtree_control of its cgroups' ancestors (when the host has them).
inline constexpr const char* kV2Controllers[] = {"cpuset", "cpu", "io", "memory", "pids"};

// One write: `value` into `file` of the cgroup's directory in the hierarchy of `controller` (ignored on v2, where
// there is one directory).
struct FileWrite {
  std::string controller;
  std::string file;
  std::string value;
  bool operator==(const FileWrite&) const = default;
};

// What the host offers that changes the plan. Filled by Cgroup::apply from the cgroup's own files.
struct HostFacts {
  // v1 memory.memsw.limit_in_bytes / v2 memory.swap.max exists (swap accounting is on).
  bool swap_limit = true;
  // v1: the cgroup's memsw limit now, so a raise writes memsw before memory (the kernel keeps memory <= memsw).
  std::optional<int64_t> current_memsw_limit;
};

// The memory+swap total Docker would use: an explicit value, or twice the memory limit when only memory is set.
std::optional<int64_t> effective_memory_swap(const Limits& limits);

// The writes for `limits`, in order; nothing for what is unset. Fails on contradictions Docker also refuses
// (swap without memory, swap below memory).
Result<std::vector<FileWrite>> plan_limits(Mode mode, const Limits& limits, const HostFacts& host = {});

// runc's conversion of v1 cpu.shares [2, 262144] to v2 cpu.weight [1, 10000].
uint64_t cpu_weight_from_shares(uint64_t shares);

// Checks type (a, c, b), access (non-empty, of r, w, m) and numbers of each rule.
Result<void> validate_device_rules(const std::vector<DeviceRule>& rules);

// v1 devices.deny / devices.allow writes for `rules`: "deny all" first (unless the rules start with it), then one
// line per rule in order. A type-'a' rule with numbers becomes a 'c' and a 'b' line, because v1 reads a bare 'a'
// as "everything" whatever follows it.
std::vector<FileWrite> plan_v1_device_rules(const std::vector<DeviceRule>& rules);

// v2: what to write into an ancestor's cgroup.subtree_control so that `wanted` controllers are enabled there,
// given what is `enabled` now and what the ancestor `available`ly has ("+cpu +memory"); "" when nothing is missing.
std::string subtree_control_change(const std::vector<std::string>& enabled, const std::vector<std::string>& available,
                                   const std::vector<std::string>& wanted);

// "berth/abc" -> {"berth", "berth/abc"}: each prefix, root first. Fails on empty, absolute or ".." components.
Result<std::vector<std::string>> relative_path_prefixes(const std::string& relative_path);

}  // namespace berth::cgroup
