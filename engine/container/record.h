// A container as berth records it: what it was created from (image, run options) and what happened to it (state).
// One JSON file per container, lib/containers/<id>/container.json, with Docker's field names where the two share a
// meaning so that `inspect` output is the record itself plus computed fields.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "engine/image/image_config.h"

namespace berth::container {

enum class Status { created, running, exited, removing, dead };
const char* status_name(Status status);
std::optional<Status> parse_status(std::string_view name);

struct State {
  Status status = Status::created;
  int pid = 0;
  uint64_t pid_start_time = 0;  // with `pid`, identifies the container's init (a reused pid is never ours)
  int exit_code = 0;
  bool oom_killed = false;
  std::string error;
  std::string started_at = "0001-01-01T00:00:00Z";
  std::string finished_at = "0001-01-01T00:00:00Z";
  int restart_count = 0;
};

// Everything `run`/`create` decided that `start` needs again. Plain data, serialised with the record.
struct Settings {
  // The command line's choices (see spec::RunOptions, which is built from these at each start).
  std::vector<std::string> env;                         // after --env-file, -e and the image's Env
  std::optional<std::vector<std::string>> entrypoint;   // --entrypoint as given (empty string clears)
  std::vector<std::string> command;                     // arguments after the image
  std::string working_dir, user, hostname, domainname;
  bool tty = false, open_stdin = false, read_only = false, privileged = false, init = false;
  bool no_new_privileges = false, auto_remove = false;
  std::optional<int64_t> memory_bytes, memory_swap_bytes, nano_cpus, pids_limit, cpu_shares, shm_size_bytes;
  std::string network_mode = "none";
  std::vector<std::string> cap_add, cap_drop, security_opt, sysctls;
  std::vector<std::string> ulimits;                     // "nofile=1024:2048"
  std::string seccomp_profile;                          // "" default, "unconfined", or the profile JSON text
  std::map<std::string, std::string> labels;
  std::string runtime;                                  // "" = embedded, else path of an OCI runtime (runc)
  std::string stop_signal;                              // from the image or --stop-signal
  std::optional<int> stop_timeout;                      // --stop-timeout
  std::map<std::string, std::string> log_options;       // max-size, max-file
};

struct ContainerRecord {
  std::string id;
  std::string name;            // without Docker's leading '/'
  std::string created;         // RFC 3339 nano
  std::string image_id;        // sha256:...
  std::string image_name;      // as the user gave it
  std::vector<std::string> layer_dirs;  // unpacked image layers, lowest first (the overlay's lower dirs)
  image::ImageConfig image_config;      // the image's config at create time
  std::vector<std::string> resolved_args; // entrypoint + cmd as they will run
  Settings settings;
  State state;
};

std::string to_json(const ContainerRecord& record);
Result<ContainerRecord> record_from_json(const std::string& text);

}  // namespace berth::container
