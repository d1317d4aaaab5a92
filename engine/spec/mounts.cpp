// The container's mount table and masked/read-only paths, as Docker builds them (moby daemon/pkg/oci/defaults.go
// DefaultLinuxSpec, daemon/oci_linux.go WithMounts and WithCommonOptions).
#include <algorithm>

#include "core/text.h"
#include "engine/spec/parts.h"

namespace berth::spec::detail {
namespace {

constexpr std::string_view kInitPath = "/sbin/berth-init";

// "/a//b/" -> "/a/b" (lexically; ".." is kept, as a destination with ".." is rejected below).
std::string clean_path(std::string_view path) {
  std::string cleaned;
  for (const auto& part : text::split(path, '/')) {
    if (part.empty() || part == ".") continue;
    cleaned += "/" + part;
  }
  return cleaned.empty() ? "/" : cleaned;
}

// Parents mount before children: Docker sorts the user's mounts by the number of path separators.
size_t depth(const std::string& destination) { return std::count(destination.begin(), destination.end(), '/'); }

bool has_option(const Mount& mount, std::string_view option) {
  return std::find(mount.options.begin(), mount.options.end(), option) != mount.options.end();
}

void remove_option(Mount& mount, std::string_view option) {
  mount.options.erase(std::remove(mount.options.begin(), mount.options.end(), option), mount.options.end());
}

std::vector<Mount> docker_default_mounts(int64_t shm_size_bytes) {
  return {
      {"/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}},
      {"/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}},
      {"/dev/pts", "devpts", "devpts", {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
      {"/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}},
      {"/sys/fs/cgroup", "cgroup", "cgroup", {"ro", "nosuid", "noexec", "nodev"}},
      {"/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}},
      {"/dev/shm", "tmpfs", "shm",
       {"nosuid", "noexec", "nodev", "mode=1777", "size=" + std::to_string(shm_size_bytes)}},
  };
}

}  // namespace

Result<std::vector<Mount>> assemble_mounts(const RunOptions& options, const SpecInputs& inputs) {
  int64_t shm_size = options.shm_size_bytes.value_or(0);
  if (shm_size < 0) return unexpected(Error("SHM size can not be less than 0"));
  if (shm_size == 0) shm_size = kDefaultShmSizeBytes;

  std::vector<Mount> defaults = docker_default_mounts(shm_size);
  if (options.privileged) {
    // A privileged container may write sysfs and its cgroups, as with Docker.
    for (auto& mount : defaults)
      if (mount.destination == "/sys" || mount.type == "cgroup") remove_option(mount, "ro");
  }
  if (options.init) {
    if (inputs.init_binary.empty()) return unexpected(Error("--init was requested but no init binary is known"));
    defaults.push_back({std::string(kInitPath), "bind", inputs.init_binary, {"bind", "ro"}});
  }

  // The user's mounts: the engine-written /etc files first, so that a volume or bind on the same path wins.
  std::vector<Mount> user_mounts;
  auto network_file = [&](const std::string& source, const char* destination) {
    if (source.empty()) return;
    Mount mount{destination, "bind", source, {"rbind", "rprivate"}};
    if (options.read_only) mount.options.push_back("ro");  // Docker: writable unless --read-only
    user_mounts.push_back(std::move(mount));
  };
  network_file(inputs.resolv_conf_file, "/etc/resolv.conf");
  network_file(inputs.hostname_file, "/etc/hostname");
  network_file(inputs.hosts_file, "/etc/hosts");
  for (const auto& extra : options.extra_mounts) {
    if (extra.destination.empty() || extra.destination.front() != '/')
      return unexpected(Error("invalid mount destination \"" + extra.destination + "\": must be an absolute path"));
    Mount mount = extra;
    mount.destination = clean_path(extra.destination);
    if (mount.destination == "/") return unexpected(Error("invalid mount destination \"/\": cannot mount over /"));
    auto parts = text::split(mount.destination, '/');
    if (std::find(parts.begin(), parts.end(), "..") != parts.end())
      return unexpected(Error("invalid mount destination \"" + extra.destination + "\": must not contain \"..\""));
    user_mounts.push_back(std::move(mount));
  }
  // Later wins for the same destination: drop every earlier mount a later one replaces.
  std::vector<Mount> unique_mounts;
  for (size_t i = 0; i < user_mounts.size(); ++i) {
    bool replaced_later = std::any_of(user_mounts.begin() + static_cast<long>(i) + 1, user_mounts.end(),
                                      [&](const Mount& later) { return later.destination == user_mounts[i].destination; });
    if (!replaced_later) unique_mounts.push_back(user_mounts[i]);
  }
  std::stable_sort(unique_mounts.begin(), unique_mounts.end(),
                   [](const Mount& a, const Mount& b) { return depth(a.destination) < depth(b.destination); });

  // A default survives unless the user mounts over it; a user /dev replaces everything below /dev too.
  auto user_mounts_at = [&](std::string_view destination) {
    return std::any_of(unique_mounts.begin(), unique_mounts.end(),
                       [&](const Mount& mount) { return mount.destination == destination; });
  };
  const bool user_dev = user_mounts_at("/dev");
  std::vector<Mount> result;
  for (auto& mount : defaults) {
    if (user_mounts_at(mount.destination)) continue;
    if (user_dev && text::starts_with(mount.destination, "/dev/")) continue;
    // With --read-only, Docker makes the remaining defaults read-only too, except the ones that must stay writable.
    static constexpr std::string_view kAlwaysWritable[] = {"/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue"};
    bool writable = std::find(std::begin(kAlwaysWritable), std::end(kAlwaysWritable), mount.destination) !=
                    std::end(kAlwaysWritable);
    if (options.read_only && !writable && !has_option(mount, "ro")) mount.options.push_back("ro");
    result.push_back(std::move(mount));
  }
  result.insert(result.end(), unique_mounts.begin(), unique_mounts.end());
  return result;
}

std::vector<std::string> masked_paths(const RunOptions& options, const SpecInputs& inputs) {
  std::vector<std::string> paths;
  if (!options.privileged) {
    paths = {
        "/proc/acpi",        "/proc/asound",        "/proc/interrupts", "/proc/kcore",
        "/proc/keys",        "/proc/latency_stats", "/proc/sched_debug", "/proc/scsi",
        "/proc/timer_list",  "/proc/timer_stats",   "/sys/devices/virtual/powercap", "/sys/firmware",
    };
    // Per-CPU thermal throttle counters leak host activity (GHSA-6fw5-f8r9-fgfm). Docker lists only the ones that
    // exist; the runtime skips a missing path, so listing every CPU is the same in effect.
    for (int cpu = 0; cpu < std::max(inputs.cpu_count, 1); ++cpu)
      paths.push_back("/sys/devices/system/cpu/cpu" + std::to_string(cpu) + "/thermal_throttle");
  }
  // Explicit extras apply even to a privileged container: someone asked for them.
  for (const auto& extra : options.masked_paths_extra)
    if (std::find(paths.begin(), paths.end(), extra) == paths.end()) paths.push_back(extra);
  return paths;
}

std::vector<std::string> readonly_paths(const RunOptions& options) {
  std::vector<std::string> paths;
  if (!options.privileged) paths = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"};
  for (const auto& extra : options.readonly_paths_extra)
    if (std::find(paths.begin(), paths.end(), extra) == paths.end()) paths.push_back(extra);
  return paths;
}

}  // namespace berth::spec::detail
