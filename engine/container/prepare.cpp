#include "engine/container/prepare.h"

#include <fcntl.h>

#include <algorithm>
#include <cstdlib>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "core/fs.h"
#include "core/text.h"
#include "engine/cgroup/cgroup.h"
#include "engine/container/rootfs.h"
#include "engine/spec/spec.h"

namespace berth::container {
namespace {


// The capabilities this process may hand on (its bounding set), as a bit mask.
uint64_t own_bounding_set() {
  auto status = fs::read_file("/proc/self/status").value_or("");
  auto at = status.find("CapBnd:");
  if (at == std::string::npos) return ~0ULL;
  return std::strtoull(status.c_str() + at + 7, nullptr, 16);
}

// --privileged means "every capability we have": on a host (or in a sandbox) whose bounding set lacks some, asking
// for them would make capset fail, so the privileged set is clamped to ours. Explicit --cap-add is not clamped: a
// capability the user named and we cannot give is an error, as with Docker.
Result<std::string> clamp_privileged_capabilities(const std::string& config_text) {
  auto config = nlohmann::json::parse(config_text, nullptr, false);
  if (config.is_discarded()) return unexpected(Error("the generated config.json does not parse", EINVAL));
  uint64_t bounding = own_bounding_set();
  const auto& names = spec::all_capabilities();
  auto& capabilities = config["process"]["capabilities"];
  for (auto& [set, list] : capabilities.items()) {
    if (!list.is_array()) continue;
    nlohmann::json kept = nlohmann::json::array();
    for (const auto& name : list) {
      auto position = std::find(names.begin(), names.end(), name.get<std::string>());
      size_t bit = static_cast<size_t>(position - names.begin());
      if (position == names.end() || (bit < 64 && (bounding >> bit) & 1)) kept.push_back(name);
    }
    list = std::move(kept);
  }
  return config.dump(1);
}

Result<spec::RunOptions> run_options_from(const Settings& settings) {
  spec::RunOptions options;
  options.env = settings.env;
  options.entrypoint = settings.entrypoint;
  options.command = settings.command;
  options.working_dir = settings.working_dir;
  options.user = settings.user;
  options.hostname = settings.hostname;
  options.domainname = settings.domainname;
  options.tty = settings.tty;
  options.open_stdin = settings.open_stdin;
  options.read_only = settings.read_only;
  options.privileged = settings.privileged;
  options.init = settings.init;
  options.no_new_privileges = settings.no_new_privileges;
  options.memory_bytes = settings.memory_bytes;
  options.memory_swap_bytes = settings.memory_swap_bytes;
  options.nano_cpus = settings.nano_cpus;
  options.pids_limit = settings.pids_limit;
  options.cpu_shares = settings.cpu_shares;
  options.shm_size_bytes = settings.shm_size_bytes;
  options.network_mode = settings.network_mode;
  options.cap_add = settings.cap_add;
  options.cap_drop = settings.cap_drop;
  options.seccomp = settings.seccomp_profile.empty() ? "default" : settings.seccomp_profile;
  for (const auto& text : settings.ulimits) options.ulimits.push_back(BERTH_TRY(spec::parse_ulimit(text)));
  options.sysctls = settings.sysctls;
  options.labels = settings.labels;
  return options;
}

}  // namespace

std::string init_binary_path() {
  char self[4096];
  ssize_t length = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (length > 0) {
    std::string path(self, static_cast<size_t>(length));
    auto slash = path.find_last_of('/');
    std::string beside = path.substr(0, slash) + "/berth-init";
    if (::access(beside.c_str(), X_OK) == 0) return beside;
  }
  return "/usr/libexec/berth/berth-init";
}

Result<std::string> prepare_bundle(const ContainerStore& store, const ContainerRecord& record) {
  const std::string& id = record.id;
  const std::string directory = store.directory(id);
  BERTH_TRY(fs::make_directories(store.run_directory(id), 0700));

  OverlayPaths overlay{record.layer_dirs, store.upper(id), store.work(id), store.rootfs(id)};
  // The embedded runtime mounts the overlay inside the container's own mount namespace: it is never visible on the
  // host, and ends with the namespace (no unmount, no grace period, nothing to leak if the supervisor is killed).
  // An external runtime gets a root path already mounted on the host, as the OCI runtime spec expects.
  const bool mount_in_container = record.settings.runtime.empty();
  if (mount_in_container) {
    BERTH_TRY(fs::make_directories(overlay.upper, 0755));
    BERTH_TRY(fs::make_directories(overlay.work, 0700));
    BERTH_TRY(fs::make_directories(overlay.target, 0755));
  } else {
    BERTH_TRY(mount_overlay(overlay, store.state().layers()).context("mounting the container's root"));
  }

  const Settings& settings = record.settings;
  std::string hostname = settings.hostname.empty() ? text::short_id(id) : settings.hostname;
  if (settings.network_mode == "host" && settings.hostname.empty()) {
    utsname host{};
    ::uname(&host);
    hostname = host.nodename;
  }
  auto etc = make_etc_files(hostname, settings.domainname, settings.network_mode,
                            fs::read_file("/etc/hosts").value_or(""), fs::read_file("/etc/resolv.conf").value_or(""));
  BERTH_TRY(fs::write_file_atomic(directory + "/hostname", etc.hostname, 0644, fs::Durability::process_crash));
  BERTH_TRY(fs::write_file_atomic(directory + "/hosts", etc.hosts, 0644, fs::Durability::process_crash));
  BERTH_TRY(fs::write_file_atomic(directory + "/resolv.conf", etc.resolv_conf, 0644, fs::Durability::process_crash));

  std::string user_spec = settings.user.empty() ? record.image_config.user : settings.user;
  std::string passwd, group;
  if (mount_in_container) {
    passwd = read_merged_file(overlay, store.state().layers(), "etc/passwd");
    group = read_merged_file(overlay, store.state().layers(), "etc/group");
  } else {
    UniqueFd root(::open(overlay.target.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root) return sys_error(fmt::format("open {}", overlay.target));
    passwd = read_file_in_root(root.get(), "etc/passwd");
    group = read_file_in_root(root.get(), "etc/group");
  }
  auto user = BERTH_TRY(spec::resolve_user(user_spec, passwd, group));

  spec::RunOptions options = BERTH_TRY(run_options_from(settings));
  options.hostname = hostname;
  spec::SpecInputs inputs;
  inputs.rootfs = overlay.target;
  inputs.hostname_file = directory + "/hostname";
  inputs.hosts_file = directory + "/hosts";
  inputs.resolv_conf_file = directory + "/resolv.conf";
  inputs.cgroups_path = "/berth/" + id;  // absolute: relative paths are taken below the runtime's own parent
  inputs.init_binary = init_binary_path();
  inputs.container_id = id;
  long cpus = ::sysconf(_SC_NPROCESSORS_CONF);
  inputs.cpu_count = cpus > 0 ? static_cast<int>(cpus) : 1;
  if (auto layout = cgroup::detect(); layout) inputs.cgroup_v2 = layout->mode == cgroup::Mode::v2;
  utsname host{};
  if (::uname(&host) == 0) inputs.kernel_release = host.release;
  rlimit files{};
  if (::getrlimit(RLIMIT_NOFILE, &files) == 0) inputs.nofile_hard_limit = static_cast<int64_t>(files.rlim_max);
  inputs.annotations["org.berth.container.name"] = record.name;
  if (mount_in_container) {
    inputs.annotations["org.berth.rootfs.overlay"] = overlay_options(overlay, store.state().layers());
    inputs.annotations["org.berth.rootfs.overlay.base"] = store.state().layers();
  }
  auto config = BERTH_TRY(spec::build_runtime_spec(record.image_config, options, user, inputs));
  if (settings.privileged) config = BERTH_TRY(clamp_privileged_capabilities(config));
  BERTH_TRY(fs::write_file_atomic(directory + "/config.json", config, 0600, fs::Durability::process_crash));
  return directory;
}

}  // namespace berth::container
