// Everything a container start needs on disk before the runtime is called: the overlay root mounted, the generated
// /etc files, the user resolved from the image's own /etc/passwd and /etc/group (read inside the root without
// following links out of it), and the OCI bundle's config.json built from the record.
#pragma once

#include <string>

#include "core/result.h"
#include "engine/container/record.h"
#include "engine/container/store.h"

namespace berth::container {

// Returns the bundle directory (the container's directory, holding config.json).
Result<std::string> prepare_bundle(const ContainerStore& store, const ContainerRecord& record);

// Where berth-init lives: beside the berth binary, else /usr/libexec/berth.
std::string init_binary_path();

}  // namespace berth::container
