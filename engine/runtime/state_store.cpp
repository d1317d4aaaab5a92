#include "engine/runtime/state_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "core/fs.h"

namespace berth::runtime {

using Json = nlohmann::json;

const char* status_name(Status status) {
  switch (status) {
    case Status::creating: return "creating";
    case Status::created: return "created";
    case Status::running: return "running";
    case Status::stopped: return "stopped";
  }
  return "unknown";
}

Result<Status> status_from_name(std::string_view name) {
  for (auto status : {Status::creating, Status::created, Status::running, Status::stopped})
    if (name == status_name(status)) return status;
  return unexpected(Error(fmt::format("unknown container status \"{}\"", name), EINVAL));
}

std::string state_record_to_json(const StateRecord& record) {
  Json annotations = Json::object();
  for (auto& [key, value] : record.annotations) annotations[key] = value;
  Json document = {
      {"id", record.id},
      {"status", status_name(record.status)},
      {"pid", record.init.pid},
      {"pid_start_time", record.init.start_time},
      {"bundle", record.bundle},
      {"rootfs", record.rootfs},
      {"cgroup_path", record.cgroup_path},
      {"created", record.created},
      {"annotations", annotations},
  };
  return document.dump();
}

Result<StateRecord> state_record_from_json(std::string_view text) {
  Json document = Json::parse(text, nullptr, false);
  if (document.is_discarded() || !document.is_object()) return unexpected(Error("state.json is not valid JSON", EINVAL));
  try {
    StateRecord record;
    record.id = document.value("id", "");
    record.status = BERTH_TRY(status_from_name(document.value("status", "")));
    record.init.pid = document.value("pid", 0);
    record.init.start_time = document.value("pid_start_time", uint64_t{0});
    record.bundle = document.value("bundle", "");
    record.rootfs = document.value("rootfs", "");
    record.cgroup_path = document.value("cgroup_path", "");
    record.created = document.value("created", "");
    if (auto it = document.find("annotations"); it != document.end() && it->is_object())
      for (auto& [key, value] : it->items())
        if (value.is_string()) record.annotations.emplace_back(key, value.get<std::string>());
    return record;
  } catch (const Json::exception& e) {
    return unexpected(Error(fmt::format("state.json: {}", e.what()), EINVAL));
  }
}

Result<void> write_state_record(const std::string& container_dir, const StateRecord& record) {
  // Atomic (temp file + rename) but not durable: this state describes processes, which do not survive a reboot
  // either, and lives under run/ (a tmpfs on real hosts). fs::write_file_atomic's fsync costs ~10 ms on a disk.
  std::string path = container_dir + "/state.json";
  std::string temporary = path + ".tmp";
  std::string content = state_record_to_json(record);
  UniqueFd fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd) return sys_error(fmt::format("create {}", temporary));
  if (::write(fd.get(), content.data(), content.size()) != static_cast<ssize_t>(content.size()))
    return sys_error(fmt::format("write {}", temporary));
  fd.reset();
  if (::rename(temporary.c_str(), path.c_str()) != 0) return sys_error(fmt::format("rename {}", temporary));
  return {};
}

Result<StateRecord> read_state_record(const std::string& container_dir) {
  auto text = BERTH_TRY(fs::read_file(container_dir + "/state.json"));
  return state_record_from_json(text);
}

Status effective_status(const StateRecord& record) {
  if (record.status == Status::stopped) return Status::stopped;
  if (record.init.pid <= 0) return record.status == Status::creating ? Status::creating : Status::stopped;
  return process_is_alive(record.init) ? record.status : Status::stopped;
}

std::string oci_state_json(const StateRecord& record, Status status) {
  Json document = {
      {"ociVersion", kOciVersion},
      {"id", record.id},
      {"status", status_name(status)},
  };
  if (status == Status::created || status == Status::running) document["pid"] = record.init.pid;
  document["bundle"] = record.bundle;
  document["rootfs"] = record.rootfs;
  document["created"] = record.created;
  if (!record.annotations.empty()) {
    Json annotations = Json::object();
    for (auto& [key, value] : record.annotations) annotations[key] = value;
    document["annotations"] = annotations;
  }
  return document.dump(2);
}

}  // namespace berth::runtime
