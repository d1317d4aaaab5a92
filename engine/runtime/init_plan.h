// Everything the child needs between clone and execve, decided and allocated by the parent beforehand. The child
// only reads this (its copy of the parent's memory) and makes syscalls: no allocation, no parsing, no decisions that
// could fail for reasons other than the kernel's.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "engine/cgroup/cgroup.h"
#include "engine/runtime/oci_spec.h"

namespace berth::runtime {

// One BPF instruction, as struct sock_filter (kept here so this header stays free of kernel headers).
struct BpfInstruction {
  uint16_t code;
  uint8_t jt;
  uint8_t jf;
  uint32_t k;
};

// How /sys/fs/cgroup is provided when the spec has a "cgroup" mount.
enum class CgroupMountKind {
  v1_binds,       // tmpfs + read-only binds of the container's own directory in each hierarchy (as runc on v1/hybrid)
  cgroup2_fresh,  // a cgroup2 mount, showing the cgroup namespace's root (v2 with a cgroup namespace)
  cgroup2_bind,   // a read-only bind of the container's cgroup2 directory (v2 without a cgroup namespace)
};

struct CgroupHierarchyBind {
  std::string name;            // directory under /sys/fs/cgroup ("memory", "systemd", "unified")
  std::string host_directory;  // the container's cgroup in that hierarchy
};

enum class ProcessRole {
  container_init,  // PID 1 of a new container
  exec,            // a further process joining a running container
};

// What a mount step does, decided in the parent (the child just follows it).
struct PreparedMount {
  const MountSpec* spec = nullptr;
  bool is_cgroup = false;
  // Non-bind mounts: the kernel's data string ("mode=755,size=65536k").
  const char* data = nullptr;
};

struct InitPlan {
  ProcessRole role = ProcessRole::container_init;
  const RuntimeSpec* spec = nullptr;     // the container's config
  const ProcessSpec* process = nullptr;  // spec->process, or the exec's process

  // File descriptors inherited by the child.
  int sync_fd = -1;
  int stdio[3] = {-1, -1, -1};  // -1: keep the caller's
  int start_dir_fd = -1;        // state dir with exec.fifo: wait there for `start`; -1: exec right away
  std::vector<std::pair<int, int>> join_namespaces;  // (fd, CLONE_NEW*) joined with setns, pid excluded

  // Namespaces and cgroup.
  bool new_network = false;             // bring lo up
  bool unshare_cgroup_namespace = false;  // once inside the cgroup, so that it is the namespace's root
  // The v1 half of joining the cgroup: the child writes "0" into each hierarchy's `tasks` (the unified half is
  // clone3(CLONE_INTO_CGROUP)). Null: no cgroup.
  const cgroup::Cgroup::SelfJoinPlan* cgroup_join = nullptr;

  // Root file system.
  // berth's own bundles may ask for the overlay root to be mounted here, inside the container's mount namespace
  // (annotation org.berth.rootfs.overlay = the overlay's mount data, .base = the directory its relative lower dirs
  // are relative to): it then never appears on the host, and nothing has to unmount it when the container ends.
  const char* rootfs_overlay_data = nullptr;
  const char* rootfs_overlay_base = nullptr;
  std::vector<PreparedMount> mounts;
  CgroupMountKind cgroup_mount = CgroupMountKind::v1_binds;
  std::vector<CgroupHierarchyBind> cgroup_binds;
  std::string cgroup2_directory;    // for cgroup2_bind
  bool create_default_devices = true;  // false when /dev is a bind mount (never mknod into a host /dev)
  bool devpts_mounted = false;         // /dev/ptmx -> pts/ptmx
  std::vector<std::string> sysctl_paths;  // "proc/sys/net/ipv4/ip_forward", paired with spec->sysctls

  // Security.
  std::vector<BpfInstruction> seccomp_program;  // empty: no filter
  unsigned seccomp_flags = 0;
  int last_capability = 40;  // /proc/sys/kernel/cap_last_cap

  // The program.
  std::vector<char*> argv;  // null-terminated, pointing into process->args
  std::vector<char*> envp;  // null-terminated, pointing into process->env
  const char* search_path = nullptr;  // the container's PATH for the lookup of argv[0]
};

// The child's entry point after clone: sets the process up step by step, then execve. Never returns; a failure is
// reported to the parent over plan.sync_fd (errno + what failed) and the child exits 1. `in_cgroup`: an
// intermediate parent already joined the cgroup (the child inherited it).
[[noreturn]] void run_child(const InitPlan& plan, bool in_cgroup = false);

// Joins the v1 hierarchies of plan.cgroup_join by writing "0" into their `tasks` files (no allocation). False with
// the failure recorded for report_child_failure().
bool join_cgroup_self(const InitPlan& plan);
// Reports the recorded failure to the parent over plan.sync_fd and exits 1.
[[noreturn]] void report_child_failure(const InitPlan& plan);

}  // namespace berth::runtime
