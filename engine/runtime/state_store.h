// A container's record in the runtime's state directory: `<state_dir>/<id>/state.json`, written atomically. Read
// tolerantly: a record that a crash left half-written is reported as such, so `delete` can still clean up.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/process.h"
#include "core/result.h"
#include "engine/runtime/runtime.h"

namespace berth::runtime {

inline constexpr const char* kOciVersion = "1.2.0";

struct StateRecord {
  std::string id;
  Status status = Status::creating;  // as last written; effective_status() looks at the process too
  ProcessIdentity init;
  std::string bundle;
  std::string rootfs;
  std::string cgroup_path;  // relative to each hierarchy's root ("berth/<id>")
  std::string created;      // RFC 3339
  std::vector<std::pair<std::string, std::string>> annotations;
};

std::string state_record_to_json(const StateRecord& record);
Result<StateRecord> state_record_from_json(std::string_view text);

Result<void> write_state_record(const std::string& container_dir, const StateRecord& record);
Result<StateRecord> read_state_record(const std::string& container_dir);

// What the record's status means now: an init that is gone (or a zombie, or a reused pid) is "stopped".
Status effective_status(const StateRecord& record);

// The OCI state document (runtime.md "State").
std::string oci_state_json(const StateRecord& record, Status status);

Result<Status> status_from_name(std::string_view name);

}  // namespace berth::runtime
