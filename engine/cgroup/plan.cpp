#include "engine/cgroup/plan.h"

#include <fmt/core.h>

#include <algorithm>

#include "core/text.h"

namespace berth::cgroup {
namespace {

constexpr uint64_t kMinShares = 2;
constexpr uint64_t kMaxShares = 262144;

bool contains(const std::vector<std::string>& list, const std::string& word) {
  return std::find(list.begin(), list.end(), word) != list.end();
}

std::string device_number(int64_t number) { return number < 0 ? "*" : std::to_string(number); }

bool is_deny_all(const DeviceRule& rule) { return !rule.allow && rule.type == 'a' && rule.major < 0 && rule.minor < 0; }

void plan_memory(Mode mode, const Limits& limits, const HostFacts& host, std::vector<FileWrite>& writes) {
  if (!limits.memory_bytes || *limits.memory_bytes == 0) return;
  int64_t memory = *limits.memory_bytes;
  auto swap = effective_memory_swap(limits);
  if (mode == Mode::v2) {
    writes.push_back({"memory", "memory.max", memory < 0 ? "max" : std::to_string(memory)});
    if (swap && host.swap_limit) {
      // v2 limits swap alone; Docker's value is memory+swap.
      std::string value = (*swap < 0 || memory < 0) ? "max" : std::to_string(*swap - memory);
      writes.push_back({"memory", "memory.swap.max", value});
    }
    return;
  }
  FileWrite memory_write{"memory", "memory.limit_in_bytes", memory < 0 ? "-1" : std::to_string(memory)};
  if (!swap || !host.swap_limit) {
    writes.push_back(memory_write);
    return;
  }
  FileWrite swap_write{"memory", "memory.memsw.limit_in_bytes", *swap < 0 ? "-1" : std::to_string(*swap)};
  // The kernel insists on memory <= memsw after every single write: raise memsw first when the new memory limit
  // would otherwise exceed the current memsw limit.
  bool swap_first = *swap < 0 || memory < 0 ||
                    (host.current_memsw_limit && *host.current_memsw_limit >= 0 && memory > *host.current_memsw_limit);
  if (swap_first) {
    writes.push_back(swap_write);
    writes.push_back(memory_write);
  } else {
    writes.push_back(memory_write);
    writes.push_back(swap_write);
  }
}

void plan_cpu(Mode mode, const Limits& limits, std::vector<FileWrite>& writes) {
  if (limits.cpu_quota_us) {
    int64_t quota = *limits.cpu_quota_us;
    if (mode == Mode::v2) {
      writes.push_back({"cpu", "cpu.max",
                        fmt::format("{} {}", quota < 0 ? "max" : std::to_string(quota), limits.cpu_period_us)});
    } else {
      // Period before quota: the kernel checks the quota against the period in place.
      writes.push_back({"cpu", "cpu.cfs_period_us", std::to_string(limits.cpu_period_us)});
      writes.push_back({"cpu", "cpu.cfs_quota_us", quota < 0 ? "-1" : std::to_string(quota)});
    }
  }
  if (limits.cpu_shares && *limits.cpu_shares != 0) {  // 0 is Docker's "default"
    uint64_t shares = std::clamp(*limits.cpu_shares, kMinShares, kMaxShares);
    if (mode == Mode::v2)
      writes.push_back({"cpu", "cpu.weight", std::to_string(cpu_weight_from_shares(shares))});
    else
      writes.push_back({"cpu", "cpu.shares", std::to_string(shares)});
  }
}

}  // namespace

std::optional<int64_t> effective_memory_swap(const Limits& limits) {
  if (limits.memory_swap_bytes && *limits.memory_swap_bytes != 0) return limits.memory_swap_bytes;
  if (limits.memory_bytes && *limits.memory_bytes > 0) return *limits.memory_bytes * 2;
  return std::nullopt;
}

Result<std::vector<FileWrite>> plan_limits(Mode mode, const Limits& limits, const HostFacts& host) {
  if (limits.memory_swap_bytes && *limits.memory_swap_bytes > 0) {
    if (!limits.memory_bytes || *limits.memory_bytes <= 0)
      return unexpected(Error("a memory-swap limit needs a memory limit as well", EINVAL));
    if (*limits.memory_swap_bytes < *limits.memory_bytes)
      return unexpected(Error(fmt::format("memory-swap limit {} is below the memory limit {}",
                                          *limits.memory_swap_bytes, *limits.memory_bytes),
                              EINVAL));
  }
  if (limits.cpu_quota_us && limits.cpu_period_us == 0)
    return unexpected(Error("a cpu quota needs a non-zero cpu period", EINVAL));

  std::vector<FileWrite> writes;
  plan_memory(mode, limits, host, writes);
  plan_cpu(mode, limits, writes);
  if (limits.pids_max)
    writes.push_back({"pids", "pids.max", *limits.pids_max > 0 ? std::to_string(*limits.pids_max) : "max"});
  if (limits.cpuset_cpus && !limits.cpuset_cpus->empty())
    writes.push_back({"cpuset", "cpuset.cpus", *limits.cpuset_cpus});
  return writes;
}

uint64_t cpu_weight_from_shares(uint64_t shares) {
  if (shares == 0) return 100;  // unset: the kernel's default weight
  shares = std::clamp(shares, kMinShares, kMaxShares);
  return 1 + ((shares - 2) * 9999) / 262142;
}

Result<void> validate_device_rules(const std::vector<DeviceRule>& rules) {
  for (size_t index = 0; index < rules.size(); ++index) {
    const auto& rule = rules[index];
    auto fail = [&](const std::string& why) {
      return unexpected(Error(fmt::format("device rule {} ({} {} {}:{} {}): {}", index + 1,
                                          rule.allow ? "allow" : "deny", rule.type, device_number(rule.major),
                                          device_number(rule.minor), rule.access, why),
                              EINVAL));
    };
    if (rule.type != 'a' && rule.type != 'c' && rule.type != 'b') return fail("type must be a, c or b");
    if (rule.access.empty()) return fail("empty access");
    for (char access : rule.access)
      if (access != 'r' && access != 'w' && access != 'm') return fail("access must be made of r, w and m");
    if (rule.major > INT32_MAX || rule.minor > INT32_MAX) return fail("device number out of range");
  }
  return {};
}

std::vector<FileWrite> plan_v1_device_rules(const std::vector<DeviceRule>& rules) {
  std::vector<FileWrite> writes;
  if (rules.empty() || !is_deny_all(rules.front())) writes.push_back({"devices", "devices.deny", "a"});
  for (const auto& rule : rules) {
    const char* file = rule.allow ? "devices.allow" : "devices.deny";
    if (rule.type == 'a' && rule.major < 0 && rule.minor < 0) {
      writes.push_back({"devices", file, "a"});
      continue;
    }
    std::string numbers = fmt::format("{}:{} {}", device_number(rule.major), device_number(rule.minor), rule.access);
    if (rule.type == 'a') {
      writes.push_back({"devices", file, "c " + numbers});
      writes.push_back({"devices", file, "b " + numbers});
    } else {
      writes.push_back({"devices", file, fmt::format("{} {}", rule.type, numbers)});
    }
  }
  return writes;
}

std::string subtree_control_change(const std::vector<std::string>& enabled, const std::vector<std::string>& available,
                                   const std::vector<std::string>& wanted) {
  std::string change;
  for (const auto& controller : wanted) {
    if (contains(enabled, controller) || !contains(available, controller)) continue;
    if (!change.empty()) change += ' ';
    change += '+' + controller;
  }
  return change;
}

Result<std::vector<std::string>> relative_path_prefixes(const std::string& relative_path) {
  if (relative_path.empty() || relative_path.front() == '/')
    return unexpected(Error(fmt::format("cgroup path \"{}\" must be relative and not empty", relative_path), EINVAL));
  std::vector<std::string> prefixes;
  std::string prefix;
  for (const auto& part : text::split(relative_path, '/')) {
    if (part.empty() || part == "." || part == "..")
      return unexpected(Error(fmt::format("cgroup path \"{}\" has an invalid component", relative_path), EINVAL));
    prefix = prefix.empty() ? part : prefix + "/" + part;
    prefixes.push_back(prefix);
  }
  return prefixes;
}

}  // namespace berth::cgroup
