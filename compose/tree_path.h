// Dotted key paths over the loader's tree, and the patterns compose-go's stages are written with
// ("services.*.build.args"): '*' matches any one key or list item.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace berth::compose {

class TreePath {
 public:
  TreePath() = default;
  explicit TreePath(std::vector<std::string> parts) : parts_(std::move(parts)) {}

  TreePath next(std::string_view part) const {
    TreePath copy = *this;
    copy.parts_.emplace_back(part);
    return copy;
  }
  void push(std::string_view part) { parts_.emplace_back(part); }
  void pop() { parts_.pop_back(); }
  size_t size() const { return parts_.size(); }
  const std::vector<std::string>& parts() const { return parts_; }
  const std::string& operator[](size_t i) const { return parts_[i]; }

  // `pattern` is dot-separated; '*' matches any single part.
  bool matches(std::string_view pattern) const;
  // Exact part-by-part equality with '*' in `pattern` matching anything.
  bool matches(const TreePath& pattern) const;
  std::string str() const;

 private:
  std::vector<std::string> parts_;
};

}  // namespace berth::compose
