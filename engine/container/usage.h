// Which images the containers of a state root use, so that `rmi` can refuse to remove them (the image store is a
// lower layer and knows nothing of containers).
#pragma once

#include <set>
#include <string>

#include "core/paths.h"
#include "core/result.h"

namespace berth::container {

// Image ids ("sha256:<hex>") referenced by any container record, running or not.
Result<std::set<std::string>> images_in_use(const StateRoot& state);

}  // namespace berth::container
