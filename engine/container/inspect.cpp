// `inspect` output: Docker's field names for what berth shares with Docker, so scripts written for `docker inspect`
// (State.Running, State.ExitCode, Config.Env, HostConfig.Memory, NetworkSettings.Networks...) keep working.
#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "core/text.h"
#include "engine/container/engine.h"
#include "engine/container/rootfs.h"
#include "engine/spec/spec.h"

namespace berth::container {

std::string inspect_json(const ContainerRecord& record, const ContainerStore& store) {
  using nlohmann::json;
  const Settings& s = record.settings;
  const auto& image = record.image_config;
  const std::string dir = store.directory(record.id);
  const bool running = record.state.status == Status::running;

  json state = {{"Status", status_name(record.state.status)},
                {"Running", running},
                {"Paused", false},
                {"Restarting", false},
                {"OOMKilled", record.state.oom_killed},
                {"Dead", record.state.status == Status::dead},
                {"Pid", running ? record.state.pid : 0},
                {"ExitCode", record.state.exit_code},
                {"Error", record.state.error},
                {"StartedAt", record.state.started_at},
                {"FinishedAt", record.state.finished_at}};

  std::string hostname = s.hostname.empty() ? text::short_id(record.id) : s.hostname;
  // What Docker reports as the container's Cmd and Entrypoint: the effective ones.
  json entrypoint = nullptr, cmd = nullptr;
  if (s.entrypoint) {
    bool cleared = s.entrypoint->empty() || (s.entrypoint->size() == 1 && (*s.entrypoint)[0].empty());
    if (!cleared) entrypoint = *s.entrypoint;
    if (!s.command.empty()) cmd = s.command;
  } else {
    if (image.entrypoint) entrypoint = *image.entrypoint;
    if (!s.command.empty()) cmd = s.command;
    else if (image.cmd) cmd = *image.cmd;
  }
  json labels = json::object();
  for (const auto& [key, value] : image.labels) labels[key] = value;
  for (const auto& [key, value] : s.labels) labels[key] = value;
  json volumes = nullptr;
  if (!image.volumes.empty()) {
    volumes = json::object();
    for (const auto& v : image.volumes) volumes[v] = json::object();
  }
  json exposed = nullptr;
  if (!image.exposed_ports.empty()) {
    exposed = json::object();
    for (const auto& p : image.exposed_ports) exposed[p] = json::object();
  }
  json config = {{"Hostname", hostname},
                 {"Domainname", s.domainname},
                 {"User", s.user.empty() ? image.user : s.user},
                 {"AttachStdin", false},
                 {"AttachStdout", !s.auto_remove},
                 {"AttachStderr", !s.auto_remove},
                 {"ExposedPorts", exposed},
                 {"Tty", s.tty},
                 {"OpenStdin", s.open_stdin},
                 {"StdinOnce", false},
                 {"Env", spec::merge_env(image.env, s.env, hostname, s.tty)},
                 {"Cmd", cmd},
                 {"Image", record.image_name},
                 {"Volumes", volumes},
                 {"WorkingDir", s.working_dir.empty() ? image.working_dir : s.working_dir},
                 {"Entrypoint", entrypoint},
                 {"Labels", labels}};
  if (!s.stop_signal.empty()) config["StopSignal"] = s.stop_signal;
  if (s.stop_timeout) config["StopTimeout"] = *s.stop_timeout;

  json ulimits = json::array();
  for (const auto& text : s.ulimits) {
    if (auto parsed = spec::parse_ulimit(text); parsed)
      ulimits.push_back({{"Name", parsed->name}, {"Soft", parsed->soft}, {"Hard", parsed->hard}});
  }
  json log_config = json::object();
  for (const auto& [key, value] : s.log_options) log_config[key] = value;
  json host_config = {{"NetworkMode", s.network_mode},
                      {"AutoRemove", s.auto_remove},
                      {"Privileged", s.privileged},
                      {"ReadonlyRootfs", s.read_only},
                      {"CapAdd", s.cap_add.empty() ? json(nullptr) : json(s.cap_add)},
                      {"CapDrop", s.cap_drop.empty() ? json(nullptr) : json(s.cap_drop)},
                      {"SecurityOpt", s.security_opt.empty() ? json(nullptr) : json(s.security_opt)},
                      {"Memory", s.memory_bytes.value_or(0)},
                      {"MemorySwap", s.memory_swap_bytes.value_or(0)},
                      {"NanoCpus", s.nano_cpus.value_or(0)},
                      {"CpuShares", s.cpu_shares.value_or(0)},
                      {"PidsLimit", s.pids_limit ? json(*s.pids_limit) : json(nullptr)},
                      {"ShmSize", s.shm_size_bytes.value_or(64 * 1024 * 1024)},
                      {"Ulimits", ulimits},
                      {"Init", s.init},
                      {"Runtime", s.runtime.empty() ? "berth" : s.runtime},
                      {"LogConfig", {{"Type", "json-file"}, {"Config", log_config}}}};

  std::string lower;
  for (auto it = record.layer_dirs.rbegin(); it != record.layer_dirs.rend(); ++it) lower += (lower.empty() ? "" : ":") + *it;
  json networks = json::object();
  networks[s.network_mode] = {{"NetworkID", ""}, {"EndpointID", ""}, {"Gateway", ""}, {"IPAddress", ""},
                              {"IPPrefixLen", 0}, {"MacAddress", ""}, {"Aliases", nullptr}};

  json object = {
      {"Id", record.id},
      {"Created", record.created},
      {"Path", record.resolved_args.empty() ? "" : record.resolved_args.front()},
      {"Args", record.resolved_args.size() > 1
                   ? json(std::vector<std::string>(record.resolved_args.begin() + 1, record.resolved_args.end()))
                   : json::array()},
      {"State", state},
      {"Image", record.image_id},
      {"ResolvConfPath", dir + "/resolv.conf"},
      {"HostnamePath", dir + "/hostname"},
      {"HostsPath", dir + "/hosts"},
      {"LogPath", store.log_path(record.id)},
      {"Name", "/" + record.name},
      {"RestartCount", record.state.restart_count},
      {"Driver", "overlay"},
      {"Platform", "linux"},
      {"HostConfig", host_config},
      {"GraphDriver",
       {{"Name", "overlay"},
        {"Data",
         {{"LowerDir", lower}, {"UpperDir", store.upper(record.id)}, {"WorkDir", store.work(record.id)},
          {"MergedDir", store.rootfs(record.id)}}}}},
      {"Mounts", json::array()},
      {"Config", config},
      {"NetworkSettings", {{"Networks", networks}}}};
  return object.dump(4);
}

}  // namespace berth::container
