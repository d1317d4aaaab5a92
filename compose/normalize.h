// Normalisation (compose-go's loader.Normalize): the implicit parts of the model made explicit. Services without
// networks join `default` (declared when used), builds get a context and a Dockerfile, build args and environment
// entries without a value take it from the environment, implicit dependencies (links, volumes_from, and
// network_mode/ipc/pid/uts/cgroup "service:x") are added to depends_on, volume targets are cleaned, and networks,
// volumes, secrets and configs get their engine name ("<project>_<key>", or the key for external ones).
#pragma once

#include <string>

#include "compose/node.h"
#include "compose/template.h"
#include "core/result.h"

namespace berth::compose {

Result<void> normalize_tree(Node& tree, const std::string& project_name, const VariableLookup& environment);

}  // namespace berth::compose
