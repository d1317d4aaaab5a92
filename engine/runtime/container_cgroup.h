// The runtime's side of cgroups: which cgroup a spec asks for and what limits it gets. The one place that calls into
// engine/cgroup.
#pragma once

#include <string>
#include <vector>

#include "core/result.h"
#include "engine/cgroup/cgroup.h"
#include "engine/runtime/init_plan.h"
#include "engine/runtime/oci_spec.h"

namespace berth::runtime {

// Pure: the cgroup path (relative to each hierarchy's root) for linux.cgroupsPath. Empty -> "berth/<id>". Absolute
// paths are relative to the root; a relative path is put below "berth/"; systemd's "slice:prefix:name" becomes
// "slice/prefix-name.scope". ".." is refused.
Result<std::string> cgroup_path_for(const std::string& cgroups_path, const std::string& id);

// Pure: linux.resources to the cgroup module's limits and device rules.
cgroup::Limits limits_from_resources(const ResourcesSpec& resources);
std::vector<cgroup::DeviceRule> device_rules_from_resources(const ResourcesSpec& resources);

// Creates the cgroup and applies the limits and device rules. On failure nothing is left behind.
Result<cgroup::Cgroup> create_container_cgroup(const cgroup::Layout& layout, const std::string& relative_path,
                                               const ResourcesSpec& resources);

// What the container sees at /sys/fs/cgroup: its own directory of every hierarchy that has one.
std::vector<CgroupHierarchyBind> cgroup_hierarchy_binds(const cgroup::Cgroup& cgroup);

}  // namespace berth::runtime
