// Control groups, v1 (legacy), hybrid (v1 controllers plus a cgroup2 mount at /sys/fs/cgroup/unified) and v2
// (unified), detected at run time. All paths hang off a Layout so tests can point it at a fake cgroupfs tree.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/fd.h"
#include "core/result.h"

namespace berth::cgroup {

enum class Mode { v1, hybrid, v2 };
const char* mode_name(Mode mode);  // "v1", "hybrid", "v2"

struct Layout {
  Mode mode = Mode::v2;
  std::string root = "/sys/fs/cgroup";
  // v1 and hybrid: controller name -> mount point ("memory" -> "/sys/fs/cgroup/memory"; co-mounted controllers
  // such as "cpu,cpuacct" appear under each name). Includes "name=systemd" when mounted.
  std::map<std::string, std::string> v1_mounts;
  // v2: the root itself; hybrid: the cgroup2 mount (usually /sys/fs/cgroup/unified); v1: empty.
  std::string unified_mount;
  // Controllers berth can use for limits: v2 from cgroup.controllers, v1 from the mounted hierarchies.
  std::vector<std::string> controllers;
};

// Pure: the layout described by a /proc/self/mountinfo text. On v2 `controllers` stays empty (it lives in
// cgroup.controllers, which detect() reads); on v1/hybrid it lists the mounted v1 controllers.
Result<Layout> parse_layout(const std::string& mountinfo);
// The layout of this host.
Result<Layout> detect();
// Pure: the words of a cgroup.controllers / cgroup.subtree_control text ("cpu memory pids\n").
std::vector<std::string> parse_controller_list(const std::string& text);

// Pure: what `berth info` shows about cgroups (as Docker's "Cgroup Driver" / "Cgroup Version").
struct HostSummary {
  std::string mode;                      // "v1", "hybrid", "v2"
  int version = 2;                       // 1 for v1 and hybrid (limits go through v1 controllers), 2 for v2
  std::string driver = "cgroupfs";       // berth writes cgroupfs directly, never through systemd
  std::vector<std::string> controllers;  // sorted, as in Layout::controllers
};
HostSummary summarize(const Layout& layout);

// What a container may use. Unset means "no limit".
struct Limits {
  std::optional<int64_t> memory_bytes;       // --memory
  // --memory-swap (memory+swap, as Docker; -1 unlimited). Unset while memory_bytes is set means twice
  // memory_bytes, Docker's default (moby daemon/daemon_unix.go adaptContainerSettings). Needs memory_bytes.
  std::optional<int64_t> memory_swap_bytes;
  std::optional<int64_t> cpu_quota_us;       // --cpus as quota over cpu_period_us (-1: no quota)
  uint64_t cpu_period_us = 100000;
  std::optional<uint64_t> cpu_shares;        // --cpu-shares (v1 shares; converted to v2 weight)
  std::optional<int64_t> pids_max;           // --pids-limit (0 or -1: unlimited, as Docker)
  std::optional<std::string> cpuset_cpus;    // --cpuset-cpus
};

// One device-cgroup rule, as in the OCI spec's linux.resources.devices. Rules apply in order and the last one that
// matches a request decides; a request no rule matches is denied (as after v1's "devices.deny a").
struct DeviceRule {
  bool allow = false;
  char type = 'a';      // 'a' (any), 'c' (char), 'b' (block)
  int64_t major = -1;   // -1 = *
  int64_t minor = -1;   // -1 = *
  std::string access = "rwm";
};

struct Stats {
  uint64_t memory_usage_bytes = 0;
  uint64_t memory_limit_bytes = 0;  // 0 = no limit
  uint64_t pids_current = 0;
  uint64_t cpu_usage_ns = 0;
};

// One container's cgroup: the same relative path (for instance "berth/<container-id>") in every hierarchy we use.
// Removed by remove(), never implicitly: its lifetime is the container's, which outlives the process that made it.
class Cgroup {
 public:
  // Creates the directories (and on v2 enables the controllers we need in the parents' subtree_control).
  static Result<Cgroup> create(const Layout& layout, const std::string& relative_path);
  // An existing cgroup (for exec, stop, inspect, cleanup after a crash). Does not check existence.
  static Cgroup open(const Layout& layout, const std::string& relative_path);

  const std::string& relative_path() const { return relative_path_; }
  Mode mode() const { return layout_.mode; }
  const Layout& layout() const { return layout_; }

  // Writes the limits that are set, and only those (see Limits for Docker's swap default). A limit whose
  // controller the host lacks is an error naming it.
  Result<void> apply(const Limits& limits);
  // v1 and hybrid: devices.deny/devices.allow lines, starting from "deny all". v2: an eBPF
  // BPF_PROG_TYPE_CGROUP_DEVICE program compiled from the rules, attached to the cgroup (replacing ours).
  Result<void> apply_device_rules(const std::vector<DeviceRule>& rules);
  // Moves a process (all its threads) in.
  Result<void> attach(pid_t pid);
  // v2 only: an O_PATH|O_DIRECTORY fd of the cgroup, for clone3(CLONE_INTO_CGROUP).
  Result<UniqueFd> open_directory() const;

  // Joining without the ~10 ms wait. attach(pid) from outside takes the kernel's cgroup-wide threadgroup lock, whose
  // writer side waits for an RCU grace period. Two ways in do not take it: clone3(CLONE_INTO_CGROUP) into the
  // unified hierarchy, and a thread writing "0" (itself) into a v1 `tasks` file. So a runtime starting a container
  // process can: (1) clone3 with CLONE_INTO_CGROUP and open_unified_directory() when that fd is valid (v2, hybrid),
  // plain fork/clone otherwise (v1); (2) in the child, still single-threaded and before anything else (it must not
  // run unconfined code first), call join_self(self_join_plan()) with the plan made in the parent. If clone3 fails
  // (kernel < 5.7), attach(pid) is the fallback.
  //
  // An O_PATH fd of the cgroup's directory in the unified hierarchy (v2 and hybrid); an empty fd on v1.
  Result<UniqueFd> open_unified_directory() const;
  struct SelfJoinPlan {
    std::vector<std::string> tasks_files;  // "<dir>/tasks" of every v1 hierarchy (none on v2)
  };
  SelfJoinPlan self_join_plan() const;
  // Every process in the cgroup and in cgroups made inside it (v1: read from the pids or memory hierarchy).
  Result<std::vector<pid_t>> processes() const;
  // Sends `signal` to every process in it; SIGKILL goes through cgroup.kill where the kernel has it (v2, hybrid).
  Result<void> signal_all(int signal) const;
  // The kernel's OOM killer has killed a process in this cgroup (v1 memory.oom_control oom_kill, v2 memory.events
  // oom_kill).
  Result<bool> oom_killed() const;
  Result<Stats> stats() const;
  bool exists() const;
  // Kills what is left (cgroup.kill, or on v1 freeze + SIGKILL + thaw), waits up to 2 s for the cgroup to empty and
  // removes its directories (and any made inside them) from every hierarchy; never the shared parent. Missing
  // directories are fine, so this also cleans up after a crash.
  Result<void> remove();

  // The directory of this cgroup in one hierarchy ("memory", "pids", ... or "" for the unified one).
  std::string directory(const std::string& controller) const;
  // Every directory this cgroup has (or would have): one per v1 hierarchy berth uses, plus the unified one in
  // hybrid mode; the single unified directory on v2.
  std::vector<std::string> directories() const;

 private:
  Cgroup(Layout layout, std::string relative_path) : layout_(std::move(layout)), relative_path_(std::move(relative_path)) {}
  Layout layout_;
  std::string relative_path_;
};

// The child's half of the fast join (see Cgroup::open_unified_directory): writes "0" into every file of the plan,
// moving the calling thread. Only open/write/close, so it is safe between fork and exec of a multi-threaded parent.
// Returns 0, or the errno of the first failure with *failed_file (when given) pointing at that file's path.
int join_self(const Cgroup::SelfJoinPlan& plan, const char** failed_file = nullptr) noexcept;

}  // namespace berth::cgroup
