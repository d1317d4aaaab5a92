// Interpolation of a whole compose tree (compose-go's interpolation package): every string value is substituted
// (keys are not), and values at paths the model types as numbers or booleans are then converted, so that
// `replicas: ${N}` or `read_only: "yes"` read as the types they stand for.
#pragma once

#include <string>
#include <vector>

#include "compose/node.h"
#include "compose/template.h"
#include "core/result.h"

namespace berth::compose {

// Errors name the file, line and column of the value and its key path: `compose.yaml:4:12: services.web.image:
// required variable TAG is missing a value: set TAG`. Variables used without a default and not set are appended to
// `unset_variables` (once each), for the "defaulting to a blank string" warning.
Result<void> interpolate_tree(Node& tree, const VariableLookup& lookup, std::vector<std::string>* unset_variables);

}  // namespace berth::compose
