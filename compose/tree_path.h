// Dotted key paths over the loader's tree, and the patterns compose-go's stages are written with
// ("services.*.build.args"): '*' matches any one key or list item, "[]" any list item.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
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

  // Part-by-part equality, where '*' in `pattern` matches any part and "[]" any list item.
  bool matches(const TreePath& pattern) const;
  std::string str() const;

 private:
  std::vector<std::string> parts_;
};

}  // namespace berth::compose

namespace berth::compose {

// A set of path patterns, each with a payload, parsed once: matching compares only the patterns as long as the path,
// part by part (the loader's stages test every node of a file against their patterns).
template <class Payload>
class PathPatterns {
 public:
  PathPatterns(std::initializer_list<std::pair<const char*, Payload>> patterns) {
    for (const auto& [text, payload] : patterns) add(text, payload);
  }
  // From a table of structs with `pattern` (a string literal) and a payload member.
  template <class Item, size_t N, class Member>
  PathPatterns(const Item (&items)[N], Member Item::*payload) {
    for (const Item& item : items) add(item.pattern, item.*payload);
  }

  // The payload of the first pattern (in declaration order) matching `path`, or null.
  const Payload* match(const TreePath& path) const {
    if (path.size() >= by_length_.size()) return nullptr;
    for (const Entry& entry : by_length_[path.size()]) {
      bool matched = true;
      for (size_t i = 0; i < entry.parts.size() && matched; ++i) {
        std::string_view pattern = entry.parts[i];
        const std::string& part = path[i];
        matched = pattern == "*" || (pattern == "[]" ? !part.empty() && part[0] == '[' : pattern == part);
      }
      if (matched) return &entry.payload;
    }
    return nullptr;
  }

 private:
  void add(const char* text, const Payload& payload) {
    {
      Entry entry;
      std::string_view rest = text;
      while (true) {
        size_t dot = rest.find('.');
        entry.parts.emplace_back(rest.substr(0, dot));
        if (dot == std::string_view::npos) break;
        rest.remove_prefix(dot + 1);
      }
      entry.payload = payload;
      if (entry.parts.size() >= by_length_.size()) by_length_.resize(entry.parts.size() + 1);
      by_length_[entry.parts.size()].push_back(std::move(entry));
    }
  }

  struct Entry {
    std::vector<std::string_view> parts;  // views into the string literals the set was built from
    Payload payload;
  };
  std::vector<std::vector<Entry>> by_length_;
};

}  // namespace berth::compose
