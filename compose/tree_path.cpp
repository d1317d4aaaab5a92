#include "compose/tree_path.h"

namespace berth::compose {

namespace {

// '*' matches any part; "[]" matches any list item ("[0]", "[1]", ...).
bool part_matches(std::string_view pattern, std::string_view part) {
  if (pattern == "*") return true;
  if (pattern == "[]") return !part.empty() && part[0] == '[';
  return pattern == part;
}

}  // namespace

bool TreePath::matches(const TreePath& pattern) const {
  if (pattern.parts_.size() != parts_.size()) return false;
  for (size_t i = 0; i < parts_.size(); ++i)
    if (!part_matches(pattern.parts_[i], parts_[i])) return false;
  return true;
}

std::string TreePath::str() const {
  std::string out;
  for (const std::string& part : parts_) {
    if (!out.empty() && (part.empty() || part[0] != '[')) out += '.';
    out += part;
  }
  return out;
}

}  // namespace berth::compose
