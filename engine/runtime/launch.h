// The parent side of starting a container's init or an exec'd process: build the child's plan, clone it into its
// namespaces (and, on cgroup v2, straight into its cgroup), follow its progress over the sync socket.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "core/fd.h"
#include "core/result.h"
#include "engine/cgroup/cgroup.h"
#include "engine/runtime/oci_spec.h"

namespace berth::runtime {

struct LaunchRequest {
  const RuntimeSpec* spec = nullptr;
  std::string id;
  std::string container_dir;
  int stdio[3] = {-1, -1, -1};
  bool start_immediately = false;  // run: no exec fifo, execve as soon as set up
  std::string seccomp_cache_dir;   // compiled seccomp programs; empty: compile every time
};

struct Launched {
  pid_t pid = 0;
  UniqueFd pidfd;
  UniqueFd console_master;
  std::optional<cgroup::Cgroup> cgroup;  // owned by the container from now on
};

// Creates the cgroup, clones the init and waits until it is set up (create) or has exec'd (run). On failure
// everything is undone: the child is killed and reaped, the cgroup removed.
Result<Launched> launch_container(const LaunchRequest& request);

struct ExecRequest {
  const RuntimeSpec* spec = nullptr;        // the container's config
  const ProcessSpec* process = nullptr;     // what to run
  int container_pidfd = -1;                 // the container's init
  pid_t container_pid = 0;
  std::optional<cgroup::Cgroup> cgroup;     // the container's cgroup, if it has one
  int stdio[3] = {-1, -1, -1};
  std::string seccomp_cache_dir;
};

struct Executed {
  pid_t pid = 0;
  UniqueFd pidfd;
  UniqueFd console_master;
};

// Starts `process` inside the container through an intermediate child that joins the container's namespaces and
// clones the process as a sibling (CLONE_PARENT), so the process is the caller's child. Returns once it has exec'd.
Result<Executed> launch_exec(const ExecRequest& request);

// The pid namespace flags etc. that differ between two processes: which of the container init's namespaces we must
// setns into ("/proc/PID/ns/X" vs "/proc/self/ns/X").
Result<int> namespaces_to_join(pid_t pid);

}  // namespace berth::runtime
