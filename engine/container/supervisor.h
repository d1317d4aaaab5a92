// The supervisor: one small process per running container (this binary, re-executed as `berth supervise`). It
// outlives the command that started the container, owns the container's stdio, writes its log, reaps it, records
// the exit code (128+N for a signal), the finish time and OOM kills, forwards signals, and cleans up (cgroup, rootfs
// mount, --rm removal) when the container ends.
#pragma once

#include <string>

#include "core/paths.h"
#include "core/process.h"
#include "core/result.h"

namespace berth::container {

// How the starting command and the supervisor talk: a SOCK_SEQPACKET pair, one text message per packet.
//   supervisor -> starter: "started <pid> <start-time>" (with the tty master as SCM_RIGHTS when attached),
//                          "error <exit-code> <message>", "exit <code>"
//   starter -> supervisor: "signal <n>", "resize <rows> <cols>", "detach"
inline constexpr int kSupervisorSyncFd = 3;

struct SupervisorOptions {
  StateRoot state;
  std::string id;
  bool attached = false;  // fds 0/1/2 are the starting command's terminal or pipes, to copy to and from
};

// The body of `berth supervise`; returns the process's exit code.
int run_supervisor(const SupervisorOptions& options);

// What run/start learn about the supervisor they spawned.
struct SupervisorHandle {
  ProcessIdentity supervisor;
  ProcessIdentity init;
  int sync_fd = -1;  // owned by the caller when attached
};

// Record of a live supervisor in run/containers/<id>/supervisor.json.
struct SupervisorRecord {
  ProcessIdentity supervisor;
  ProcessIdentity init;
};
Result<SupervisorRecord> read_supervisor_record(const StateRoot& state, const std::string& id);
std::string supervisor_record_path(const StateRoot& state, const std::string& id);

}  // namespace berth::container
