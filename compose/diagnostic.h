// Errors that point into the compose files: "compose.yaml:12:7: services.web.ports[1]: invalid port "80800"".
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "compose/node.h"
#include "core/result.h"

namespace berth::compose {

// A key path being walked ("services.web.ports[1]"), kept as segments so a walk can push and pop cheaply and the
// text is built only for an error.
class KeyPath {
 public:
  KeyPath() = default;
  KeyPath(std::initializer_list<std::string_view> keys) {
    for (std::string_view key : keys) push(key);
  }

  void push(std::string_view key) { segments_.emplace_back(key); }
  void push_index(size_t index) { segments_.push_back("[" + std::to_string(index) + "]"); }
  void pop() { segments_.pop_back(); }
  size_t depth() const { return segments_.size(); }
  const std::vector<std::string>& segments() const { return segments_; }
  // "services.web.ports[1]".
  std::string str() const;
  // A copy with one more key / index.
  KeyPath child(std::string_view key) const;
  KeyPath item(size_t index) const;

 private:
  std::vector<std::string> segments_;
};

// "<file>:<line>:<col>: <path>: <message>", leaving out what is unknown.
Error located_error(const SourceMark& mark, std::string_view path, std::string_view message);
inline Error located_error(const SourceMark& mark, const KeyPath& path, std::string_view message) {
  return located_error(mark, path.str(), message);
}

// Quotes a value for a message as Go's %q does for printable text: "80800".
std::string quote(std::string_view text);

}  // namespace berth::compose
