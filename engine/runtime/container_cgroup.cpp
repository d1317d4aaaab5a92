#include "engine/runtime/container_cgroup.h"

#include <fmt/core.h>

#include "core/fs.h"
#include "core/log.h"
#include "core/text.h"

namespace berth::runtime {

Result<std::string> cgroup_path_for(const std::string& cgroups_path, const std::string& id) {
  std::string path;
  if (cgroups_path.empty()) {
    path = "berth/" + id;
  } else if (cgroups_path.find(':') != std::string::npos && cgroups_path.front() != '/') {
    auto parts = text::split(cgroups_path, ':');
    if (parts.size() != 3)
      return unexpected(Error(fmt::format("cgroupsPath \"{}\": expected slice:prefix:name", cgroups_path), EINVAL));
    path = parts[0].empty() ? "" : parts[0] + "/";
    path += parts[1].empty() ? parts[2] + ".scope" : parts[1] + "-" + parts[2] + ".scope";
  } else if (cgroups_path.front() == '/') {
    path = cgroups_path.substr(1);
  } else {
    path = "berth/" + cgroups_path;
  }
  while (!path.empty() && path.back() == '/') path.pop_back();
  for (auto& component : text::split(path, '/'))
    if (component == ".." || component == ".")
      return unexpected(Error(fmt::format("cgroupsPath \"{}\" must not contain . or ..", cgroups_path), EINVAL));
  if (path.empty()) return unexpected(Error("cgroupsPath must not be the root cgroup", EINVAL));
  return path;
}

cgroup::Limits limits_from_resources(const ResourcesSpec& resources) {
  cgroup::Limits limits;
  limits.memory_bytes = resources.memory_limit;
  // The OCI spec leaves swap alone when it is not given (runc writes nothing): unlimited.
  if (resources.memory_limit) limits.memory_swap_bytes = resources.memory_swap.value_or(-1);
  limits.cpu_quota_us = resources.cpu_quota;
  if (resources.cpu_period) limits.cpu_period_us = *resources.cpu_period;
  limits.cpu_shares = resources.cpu_shares;
  limits.pids_max = resources.pids_limit;
  limits.cpuset_cpus = resources.cpuset_cpus;
  return limits;
}

std::vector<cgroup::DeviceRule> device_rules_from_resources(const ResourcesSpec& resources) {
  std::vector<cgroup::DeviceRule> rules;
  for (auto& rule : resources.devices)
    rules.push_back(cgroup::DeviceRule{rule.allow, rule.type, rule.major, rule.minor, rule.access});
  if (rules.empty()) return rules;
  // What runc always appends (libcontainer/specconv AllowedDevices), so that specs written for runc (Docker's
  // allows no /dev/full, and no mknod at all) behave the same: the default device nodes the runtime creates must
  // be creatable and usable whatever the spec's list says.
  static const cgroup::DeviceRule kAlwaysAllowed[] = {
      {true, 'c', -1, -1, "m"},   {true, 'b', -1, -1, "m"},   {true, 'c', 1, 3, "rwm"},  {true, 'c', 1, 8, "rwm"},
      {true, 'c', 1, 7, "rwm"},   {true, 'c', 5, 0, "rwm"},   {true, 'c', 1, 5, "rwm"},  {true, 'c', 1, 9, "rwm"},
      {true, 'c', 136, -1, "rwm"}, {true, 'c', 5, 2, "rwm"},
  };
  rules.insert(rules.end(), std::begin(kAlwaysAllowed), std::end(kAlwaysAllowed));
  return rules;
}

Result<cgroup::Cgroup> create_container_cgroup(const cgroup::Layout& layout, const std::string& relative_path,
                                               const ResourcesSpec& resources) {
  for (auto& ignored : resources.ignored) log::debug("linux.resources.{} is not applied by berth", ignored);
  auto created = BERTH_TRY_CONTEXT(cgroup::Cgroup::create(layout, relative_path),
                                   fmt::format("create cgroup {}", relative_path));
  auto configure = [&]() -> Result<void> {
    BERTH_TRY(created.apply(limits_from_resources(resources)));
    if (!resources.devices.empty()) BERTH_TRY(created.apply_device_rules(device_rules_from_resources(resources)));
    return {};
  };
  if (auto configured = configure(); !configured) {
    (void)created.remove();
    return std::move(configured).error().wrap(fmt::format("configure cgroup {}", relative_path));
  }
  return created;
}

std::vector<CgroupHierarchyBind> cgroup_hierarchy_binds(const cgroup::Cgroup& cgroup) {
  const auto& layout = cgroup.layout();
  std::vector<CgroupHierarchyBind> binds;
  auto add = [&](const std::string& mount_point) {
    if (!text::starts_with(mount_point, layout.root + "/")) return;
    std::string name = mount_point.substr(layout.root.size() + 1);
    for (auto& existing : binds)
      if (existing.name == name) return;  // co-mounted controllers share one hierarchy
    std::string directory = fs::join(mount_point, cgroup.relative_path());
    if (!fs::is_directory(directory)) return;
    binds.push_back(CgroupHierarchyBind{name, directory});
  };
  for (auto& [controller, mount_point] : layout.v1_mounts) add(mount_point);
  if (layout.mode == cgroup::Mode::hybrid && !layout.unified_mount.empty()) add(layout.unified_mount);
  return binds;
}

}  // namespace berth::runtime
