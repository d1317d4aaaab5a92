// Validation of a compose tree against the Compose Specification's JSON schema (the copy compose-go uses, compiled
// into berth), as compose-go validates each file after merging it: unknown keys, wrong types, values out of
// range or not in the allowed set. The first violation is reported with its file, line, column and key path:
// `compose.yaml:7:5: services.web: additional property "imgae" is not allowed`.
#pragma once

#include "compose/node.h"
#include "core/result.h"

namespace berth::compose {

Result<void> validate_schema(const Node& tree);

}  // namespace berth::compose
