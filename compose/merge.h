// Merging compose files (the Compose Specification's merge rules, as compose-go's override package applies them):
// mappings merge key by key; sequences append; `command`, `entrypoint` and `healthcheck.test` are replaced;
// `environment`, `labels` and the like merge as KEY=VALUE sequences whatever their form; `depends_on` and
// `networks` merge as mappings; `ulimits` entries and `logging` with another driver are replaced. Then
// enforce_unicity() keeps one entry per key in sequences that are sets (ports by binding, volumes and devices by
// target, secrets and configs by mount path, KEY=VALUE lists by key), the later definition in the earlier place.
// Also here: `!reset` (drop the inherited value) and `!override` (replace it instead of merging).
#pragma once

#include <vector>

#include "compose/node.h"
#include "compose/tree_path.h"
#include "core/result.h"

namespace berth::compose {

// `overriding` merged onto `base` at `path` (empty for whole files; {"services", name} for extends).
Result<Node> merge_nodes(Node base, Node overriding, const TreePath& path = {});

// De-duplicates the sequences that are sets, in place.
Result<void> enforce_unicity(Node& tree);

// The `!reset` / `!override` tags of one document: tagged `!reset` values are removed from the document, and the
// paths of both kinds recorded, to be removed from what earlier files (or an extended service) defined before the
// document is merged onto it.
struct ResetPaths {
  std::vector<TreePath> paths;
  bool empty() const { return paths.empty(); }
};
ResetPaths take_reset_tags(Node& document);
void apply_resets(Node& tree, const ResetPaths& resets, const TreePath& root = {});

}  // namespace berth::compose
