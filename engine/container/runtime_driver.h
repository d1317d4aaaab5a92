// The seam between the engine and an OCI runtime: the embedded one (in-process, fastest) or an external binary
// speaking the OCI runtime command line (runc, or `berth-runtime` itself), chosen per container with --runtime.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "core/fd.h"
#include "core/process.h"
#include "core/result.h"

namespace berth::container {

struct LaunchRequest {
  std::string bundle;     // directory holding config.json
  std::string id;
  int stdin_fd = -1, stdout_fd = -1, stderr_fd = -1;  // container stdio when not a tty
  bool tty = false;
};

struct Launched {
  ProcessIdentity init;
  UniqueFd console_master;  // tty containers
};

struct ExecRequest {
  std::string id;
  std::string process_json;  // an OCI "process" object
  int stdin_fd = -1, stdout_fd = -1, stderr_fd = -1;
  bool tty = false;
};

struct ExecStarted {
  pid_t pid = 0;            // a child of the caller (embedded) or of the runtime (external, then reaped by it)
  UniqueFd console_master;
  pid_t waiter = 0;         // external runtimes: the `runtime exec` process whose exit status is the process's
};

class RuntimeDriver {
 public:
  virtual ~RuntimeDriver() = default;
  // Creates and starts the container; the init is our child or (external) our descendant, reaped by us as
  // subreaper.
  virtual Result<Launched> launch(const LaunchRequest& request) = 0;
  virtual Result<ExecStarted> exec(const ExecRequest& request) = 0;
  // Removes the runtime's state and the container's cgroup (killing what is left).
  virtual Result<void> destroy(const std::string& id) = 0;
};

// `runtime_path` empty = embedded. `state_dir` is where the runtime keeps its per-container state.
std::unique_ptr<RuntimeDriver> make_runtime_driver(const std::string& runtime_path, const std::string& state_dir);

}  // namespace berth::container
