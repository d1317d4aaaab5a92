// What makes a project whole beyond each file's syntax: profiles and service selection, references between
// services and resources (networks, volumes, secrets, configs, models, depends_on), dependency cycles, container
// names, port ranges, and the attributes that must agree (scale and deploy.replicas, cpus and limits, ...).
// Errors point at the offending key in the files through the loader's tree.
#pragma once

#include <string>
#include <vector>

#include "compose/node.h"
#include "compose/project.h"
#include "core/result.h"

namespace berth::compose {

// Services whose profiles are not enabled move to disabled_services; services without profiles always stay.
void apply_profiles(Project& project, const std::vector<std::string>& profiles);
// Enables services named on the command line, with their profiles (compose-go's WithServicesEnabled).
Result<void> enable_services(Project& project, const std::vector<std::string>& names);
// Keeps only `names` and what they depend on (transitively), disabling the rest.
Result<void> select_services(Project& project, const std::vector<std::string>& names);
// Drops networks, volumes, secrets, configs and models that no enabled service uses.
void prune_unused_resources(Project& project);

// `model` is the tree the project was decoded from, to say where a problem is.
Result<void> check_consistency(const Project& project, const Node& model);

// The mark of the deepest node along `path` (keys and "[i]" items), for errors about decoded values.
SourceMark locate(const Node& model, const std::vector<std::string>& path);

}  // namespace berth::compose
