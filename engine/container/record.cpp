#include "engine/container/record.h"

#include <nlohmann/json.hpp>

namespace berth::container {

using nlohmann::json;

namespace {

constexpr std::pair<Status, const char*> kStatusNames[] = {
    {Status::created, "created"}, {Status::running, "running"}, {Status::exited, "exited"},
    {Status::removing, "removing"}, {Status::dead, "dead"}};

template <class T>
void put_optional(json& object, const char* key, const std::optional<T>& value) {
  if (value) object[key] = *value;
}

template <class T>
void get_optional(const json& object, const char* key, std::optional<T>& value) {
  if (auto it = object.find(key); it != object.end() && !it->is_null()) value = it->get<T>();
}

template <class T>
void get(const json& object, const char* key, T& value) {
  if (auto it = object.find(key); it != object.end() && !it->is_null()) value = it->get<T>();
}

json image_config_to_json(const image::ImageConfig& config) {
  json object = json::object();
  object["User"] = config.user;
  object["Env"] = config.env;
  put_optional(object, "Entrypoint", config.entrypoint);
  put_optional(object, "Cmd", config.cmd);
  object["WorkingDir"] = config.working_dir;
  object["ExposedPorts"] = config.exposed_ports;
  object["Volumes"] = config.volumes;
  object["Labels"] = config.labels;
  object["StopSignal"] = config.stop_signal;
  put_optional(object, "Healthcheck", config.healthcheck_test);
  return object;
}

image::ImageConfig image_config_from_json(const json& object) {
  image::ImageConfig config;
  get(object, "User", config.user);
  get(object, "Env", config.env);
  get_optional(object, "Entrypoint", config.entrypoint);
  get_optional(object, "Cmd", config.cmd);
  get(object, "WorkingDir", config.working_dir);
  get(object, "ExposedPorts", config.exposed_ports);
  get(object, "Volumes", config.volumes);
  get(object, "Labels", config.labels);
  get(object, "StopSignal", config.stop_signal);
  get_optional(object, "Healthcheck", config.healthcheck_test);
  return config;
}

json settings_to_json(const Settings& s) {
  json o = json::object();
  o["Env"] = s.env;
  put_optional(o, "Entrypoint", s.entrypoint);
  o["Cmd"] = s.command;
  o["WorkingDir"] = s.working_dir;
  o["User"] = s.user;
  o["Hostname"] = s.hostname;
  o["Domainname"] = s.domainname;
  o["Tty"] = s.tty;
  o["OpenStdin"] = s.open_stdin;
  o["ReadonlyRootfs"] = s.read_only;
  o["Privileged"] = s.privileged;
  o["Init"] = s.init;
  o["NoNewPrivileges"] = s.no_new_privileges;
  o["AutoRemove"] = s.auto_remove;
  put_optional(o, "Memory", s.memory_bytes);
  put_optional(o, "MemorySwap", s.memory_swap_bytes);
  put_optional(o, "NanoCpus", s.nano_cpus);
  put_optional(o, "PidsLimit", s.pids_limit);
  put_optional(o, "CpuShares", s.cpu_shares);
  put_optional(o, "ShmSize", s.shm_size_bytes);
  o["NetworkMode"] = s.network_mode;
  o["CapAdd"] = s.cap_add;
  o["CapDrop"] = s.cap_drop;
  o["SecurityOpt"] = s.security_opt;
  o["Sysctls"] = s.sysctls;
  o["Ulimits"] = s.ulimits;
  o["SeccompProfile"] = s.seccomp_profile;
  o["Labels"] = s.labels;
  o["Runtime"] = s.runtime;
  o["StopSignal"] = s.stop_signal;
  put_optional(o, "StopTimeout", s.stop_timeout);
  o["LogOptions"] = s.log_options;
  return o;
}

Settings settings_from_json(const json& o) {
  Settings s;
  get(o, "Env", s.env);
  get_optional(o, "Entrypoint", s.entrypoint);
  get(o, "Cmd", s.command);
  get(o, "WorkingDir", s.working_dir);
  get(o, "User", s.user);
  get(o, "Hostname", s.hostname);
  get(o, "Domainname", s.domainname);
  get(o, "Tty", s.tty);
  get(o, "OpenStdin", s.open_stdin);
  get(o, "ReadonlyRootfs", s.read_only);
  get(o, "Privileged", s.privileged);
  get(o, "Init", s.init);
  get(o, "NoNewPrivileges", s.no_new_privileges);
  get(o, "AutoRemove", s.auto_remove);
  get_optional(o, "Memory", s.memory_bytes);
  get_optional(o, "MemorySwap", s.memory_swap_bytes);
  get_optional(o, "NanoCpus", s.nano_cpus);
  get_optional(o, "PidsLimit", s.pids_limit);
  get_optional(o, "CpuShares", s.cpu_shares);
  get_optional(o, "ShmSize", s.shm_size_bytes);
  get(o, "NetworkMode", s.network_mode);
  get(o, "CapAdd", s.cap_add);
  get(o, "CapDrop", s.cap_drop);
  get(o, "SecurityOpt", s.security_opt);
  get(o, "Sysctls", s.sysctls);
  get(o, "Ulimits", s.ulimits);
  get(o, "SeccompProfile", s.seccomp_profile);
  get(o, "Labels", s.labels);
  get(o, "Runtime", s.runtime);
  get(o, "StopSignal", s.stop_signal);
  get_optional(o, "StopTimeout", s.stop_timeout);
  get(o, "LogOptions", s.log_options);
  return s;
}

}  // namespace

const char* status_name(Status status) {
  for (auto [value, name] : kStatusNames)
    if (value == status) return name;
  return "unknown";
}

std::optional<Status> parse_status(std::string_view name) {
  for (auto [value, text] : kStatusNames)
    if (name == text) return value;
  return std::nullopt;
}

std::string to_json(const ContainerRecord& record) {
  json o = json::object();
  o["Id"] = record.id;
  o["Name"] = record.name;
  o["Created"] = record.created;
  o["Image"] = record.image_id;
  o["ImageName"] = record.image_name;
  o["LayerDirs"] = record.layer_dirs;
  o["ImageConfig"] = image_config_to_json(record.image_config);
  o["Args"] = record.resolved_args;
  o["Settings"] = settings_to_json(record.settings);
  json state = json::object();
  state["Status"] = status_name(record.state.status);
  state["Pid"] = record.state.pid;
  state["PidStartTime"] = record.state.pid_start_time;
  state["ExitCode"] = record.state.exit_code;
  state["OOMKilled"] = record.state.oom_killed;
  state["Error"] = record.state.error;
  state["StartedAt"] = record.state.started_at;
  state["FinishedAt"] = record.state.finished_at;
  state["RestartCount"] = record.state.restart_count;
  o["State"] = std::move(state);
  return o.dump(1);
}

Result<ContainerRecord> record_from_json(const std::string& text) {
  auto o = json::parse(text, nullptr, false);
  if (o.is_discarded() || !o.is_object()) return unexpected(Error("container record is not valid JSON"));
  try {
    ContainerRecord record;
    get(o, "Id", record.id);
    get(o, "Name", record.name);
    get(o, "Created", record.created);
    get(o, "Image", record.image_id);
    get(o, "ImageName", record.image_name);
    get(o, "LayerDirs", record.layer_dirs);
    if (auto it = o.find("ImageConfig"); it != o.end() && it->is_object())
      record.image_config = image_config_from_json(*it);
    get(o, "Args", record.resolved_args);
    if (auto it = o.find("Settings"); it != o.end() && it->is_object()) record.settings = settings_from_json(*it);
    if (auto it = o.find("State"); it != o.end() && it->is_object()) {
      const json& s = *it;
      std::string status = "created";
      get(s, "Status", status);
      record.state.status = parse_status(status).value_or(Status::dead);
      get(s, "Pid", record.state.pid);
      get(s, "PidStartTime", record.state.pid_start_time);
      get(s, "ExitCode", record.state.exit_code);
      get(s, "OOMKilled", record.state.oom_killed);
      get(s, "Error", record.state.error);
      get(s, "StartedAt", record.state.started_at);
      get(s, "FinishedAt", record.state.finished_at);
      get(s, "RestartCount", record.state.restart_count);
    }
    if (record.id.empty()) return unexpected(Error("container record has no Id"));
    return record;
  } catch (const json::exception& e) {
    return unexpected(Error(std::string("container record has a field of the wrong type: ") + e.what()));
  }
}

}  // namespace berth::container
