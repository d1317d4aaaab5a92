// The container operations behind `berth run|create|start|stop|kill|restart|rm|ps|wait|exec|inspect`. Each takes a
// name, a full id or an id prefix, and tells the truth about containers whose supervisor died (killed, or a reboot
// that cleared /run): those are cleaned up and recorded as exited before anything else happens to them.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/paths.h"
#include "core/result.h"
#include "engine/container/record.h"
#include "engine/container/store.h"

namespace berth::container {

struct CreateRequest {
  std::string image;  // name or id
  std::string name;   // empty: generated
  Settings settings;
};

struct AttachOptions {
  bool attach = false;         // copy stdio (our 0/1/2) to and from the container until it ends
  bool proxy_signals = true;   // forward SIGINT/SIGTERM/... to the container (docker run --sig-proxy)
};

struct StartOutcome {
  ContainerRecord record;
  std::optional<int> exit_code;  // when attached: the container's exit code
};

struct ExecOptions {
  std::vector<std::string> command;
  std::vector<std::string> env;  // "K=V"
  std::string user, working_dir;
  bool interactive = false, tty = false, detach = false, privileged = false;
};

class ContainerEngine {
 public:
  ContainerEngine(StateRoot state, std::string self_executable);

  Result<ContainerRecord> create(const CreateRequest& request);
  Result<StartOutcome> start(const std::string& name_or_id, const AttachOptions& attach);
  // Stop signal, then SIGKILL after `timeout` seconds (default: the container's --stop-timeout, else 10).
  Result<ContainerRecord> stop(const std::string& name_or_id, std::optional<int> timeout);
  Result<ContainerRecord> kill(const std::string& name_or_id, int signal);
  Result<void> remove(const std::string& name_or_id, bool force);
  // Blocks until the container is not running; its exit code.
  Result<int> wait(const std::string& name_or_id);
  Result<std::vector<ContainerRecord>> list();
  Result<ContainerRecord> inspect(const std::string& name_or_id);
  // Runs a process in a running container; its exit code (0 right away with detach).
  Result<int> exec(const std::string& name_or_id, const ExecOptions& options);

  const ContainerStore& store() const { return store_; }

 private:
  Result<ContainerRecord> find(const std::string& name_or_id);
  // Truth about a record: running only while its supervisor lives; a dead supervisor's container is cleaned up.
  Result<ContainerRecord> reconcile(ContainerRecord record);
  Result<void> wait_for_supervisor_exit(const std::string& id, int timeout_ms);

  StateRoot state_;
  ContainerStore store_;
  std::string self_executable_;
};

// Docker's "Up 5 minutes", "Exited (0) 3 seconds ago", "Created".
std::string describe_status(const ContainerRecord& record, const std::string& now_rfc3339);
// Seconds between two RFC 3339 timestamps (b - a); 0 when either is unparsable.
int64_t seconds_between(const std::string& a, const std::string& b);
// The `inspect` JSON object for a record, with Docker's field names.
std::string inspect_json(const ContainerRecord& record, const ContainerStore& store);

}  // namespace berth::container
