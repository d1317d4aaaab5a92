// berth's embedded OCI runtime: executes a runtime-spec bundle (config.json + rootfs) as runc or crun would.
//
// The container's init is a child of the caller (or of the `berth runtime create` process that made it), so exit
// status and reaping belong to the caller, or to a subreaper above it. State lives in `<state_dir>/<id>/state.json`,
// written atomically under a per-container lock; a recorded pid is trusted only together with its start time.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "core/fd.h"
#include "core/process.h"
#include "core/result.h"

namespace berth::runtime {

struct CreateOptions {
  std::string bundle;  // directory with config.json
  std::string id;
  int stdin_fd = -1, stdout_fd = -1, stderr_fd = -1;  // -1: inherit the caller's
  std::string console_socket;  // AF_UNIX path that receives the pty master (OCI --console-socket)
  bool return_console = false; // in-process callers: get the master fd back in Created::console_master
  std::string pid_file;        // written with the init's pid (host pid namespace)
};

struct Created {
  ProcessIdentity init;
  UniqueFd pidfd;
  UniqueFd console_master;  // only with return_console and process.terminal
};

struct ExecOptions {
  std::string process_json;  // an OCI "process" object; fields it lacks are taken from the container's config
  int stdin_fd = -1, stdout_fd = -1, stderr_fd = -1;  // -1: inherit the caller's
  bool tty = false;          // overrides process.terminal when true
  std::string console_socket;  // as CreateOptions; without it the master is returned
};

struct ExecProcess {
  ProcessIdentity process;  // a child of the caller
  UniqueFd pidfd;
  UniqueFd console_master;
};

enum class Status { creating, created, running, stopped };
const char* status_name(Status status);

struct ContainerState {
  std::string oci_version;
  std::string id;
  Status status = Status::stopped;
  ProcessIdentity init;
  std::string bundle;
  std::vector<std::pair<std::string, std::string>> annotations;
};

class Runtime {
 public:
  explicit Runtime(std::string state_dir);

  // Sets the container up completely; its init waits before execve of the user program until start(). Errors that
  // happen inside the container's set-up come back with their errno and context.
  Result<Created> create(const CreateOptions& options);
  // Lets a created container execve. Fails with the errno of the execve (ENOENT, EACCES) if that failed.
  Result<void> start(const std::string& id);
  // create + start without the exec fifo round trip: the fastest way to a running container.
  Result<Created> run(const CreateOptions& options);

  Result<ContainerState> state(const std::string& id) const;
  // The OCI state document: ociVersion, id, status, pid, bundle, annotations.
  Result<std::string> state_json(const std::string& id) const;
  // Every container id with a state directory.
  Result<std::vector<std::string>> list() const;

  // Signals the init (or, with `all`, every process of the container's cgroup).
  Result<void> kill(const std::string& id, int signal, bool all);
  // OCI delete: removes the cgroup and the state. A running container is refused unless `force` (then SIGKILL).
  Result<void> remove(const std::string& id, bool force);

  // A new process inside a running (or created) container: its namespaces, cgroup, capabilities, seccomp filter and
  // no_new_privs, with the user, env and cwd from `options.process_json`. A child of the caller.
  Result<ExecProcess> exec(const std::string& id, const ExecOptions& options);

  const std::string& state_dir() const { return state_dir_; }

 private:
  Result<Created> create_container(const CreateOptions& options, bool start_immediately);
  std::string container_dir(const std::string& id) const;
  std::string seccomp_cache_dir() const;

  std::string state_dir_;
};

// Pure: "[A-Za-z0-9][A-Za-z0-9_.+-]*", at most 1024 characters (no '/', no "..").
Result<void> validate_container_id(const std::string& id);

}  // namespace berth::runtime
