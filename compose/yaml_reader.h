// YAML text to the loader's tree (compose/node.h), keeping file, line and column on every node. Anchors and
// aliases are expanded, `<<` merge keys applied (explicit keys win, earlier merge sources win over later ones),
// duplicate keys and non-string keys rejected, and `!reset` / `!override` tags kept on the nodes. yaml-cpp stays in
// the .cpp file.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "compose/node.h"
#include "core/result.h"

namespace berth::compose {

// Bounds that keep hostile input (alias bombs, deep nesting) from exhausting memory or the stack.
struct YamlLimits {
  size_t max_nodes = 500000;  // nodes per document, counting alias expansions
  size_t max_depth = 256;     // nesting depth, counting alias expansions
  size_t max_documents = 1000;  // documents per stream (yaml-cpp can report empty documents without end)
};

// Every document of `text`, in order (an empty stream has none; an empty document is a null node).
Result<std::vector<Node>> parse_yaml_documents(std::string_view text, std::string_view file_name,
                                               const YamlLimits& limits = {});

}  // namespace berth::compose
