#include "compose/node.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <mutex>
#include <unordered_set>

#include "compose/go_format.h"

namespace berth::compose {

const std::string* intern_file_name(std::string_view name) {
  static std::mutex lock;
  static std::unordered_set<std::string> names;  // node-based: element addresses never move
  std::lock_guard<std::mutex> guard(lock);
  return &*names.emplace(name).first;
}

std::string SourceMark::str() const {
  if (!file) return "";
  return *file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

Node Node::null_value(SourceMark mark) {
  Node node;
  node.mark = std::move(mark);
  return node;
}

Node Node::string(std::string text, SourceMark mark) {
  Node node;
  node.kind = NodeKind::scalar;
  node.type = ScalarType::string;
  node.text = std::move(text);
  node.mark = std::move(mark);
  return node;
}

Node Node::integer(int64_t value, SourceMark mark) {
  Node node = string(std::to_string(value), std::move(mark));
  node.type = ScalarType::integer;
  return node;
}

Node Node::boolean(bool value, SourceMark mark) {
  Node node = string(value ? "true" : "false", std::move(mark));
  node.type = ScalarType::boolean;
  return node;
}

Node Node::floating(double value, SourceMark mark) {
  Node node = string(go_format_float(value), std::move(mark));
  node.type = ScalarType::floating;
  return node;
}

Node Node::sequence(SourceMark mark) {
  Node node;
  node.kind = NodeKind::sequence;
  node.mark = std::move(mark);
  return node;
}

Node Node::mapping(SourceMark mark) {
  Node node;
  node.kind = NodeKind::mapping;
  node.mark = std::move(mark);
  return node;
}

Node Node::plain(std::string text, SourceMark mark) {
  PlainResolution resolved = resolve_plain_scalar(text);
  if (resolved.kind == NodeKind::null) return null_value(std::move(mark));
  Node node = string(std::move(text), std::move(mark));
  node.type = resolved.type;
  return node;
}

const Node* Node::find(std::string_view key) const {
  if (kind != NodeKind::mapping) return nullptr;
  for (const MapEntry& entry : entries)
    if (entry.key == key) return &entry.value;
  return nullptr;
}

Node* Node::find(std::string_view key) {
  return const_cast<Node*>(static_cast<const Node*>(this)->find(key));
}

Node& Node::set(std::string key, Node value, SourceMark key_mark) {
  if (kind != NodeKind::mapping) {
    kind = NodeKind::mapping;
    items.clear();
    text.clear();
  }
  for (MapEntry& entry : entries) {
    if (entry.key == key) {
      entry.value = std::move(value);
      return entry.value;
    }
  }
  if (!key_mark.known()) key_mark = value.mark.known() ? value.mark : mark;
  entries.push_back(MapEntry{std::move(key), std::move(key_mark), std::move(value)});
  return entries.back().value;
}

bool Node::erase(std::string_view key) {
  auto it = std::find_if(entries.begin(), entries.end(), [&](const MapEntry& e) { return e.key == key; });
  if (it == entries.end()) return false;
  entries.erase(it);
  return true;
}

std::string Node::scalar_string() const {
  if (kind != NodeKind::scalar) return "";
  switch (type) {
    case ScalarType::string: return text;
    case ScalarType::boolean: return as_boolean().value_or(false) ? "true" : "false";
    case ScalarType::integer: {
      if (auto value = parse_yaml_integer(text)) return std::to_string(*value);
      return text;
    }
    case ScalarType::floating: {
      if (auto value = parse_yaml_float(text)) return go_format_float(*value);
      return text;
    }
  }
  return text;
}

std::optional<int64_t> Node::as_integer() const {
  if (kind != NodeKind::scalar) return std::nullopt;
  if (type == ScalarType::integer) return parse_yaml_integer(text);
  if (type == ScalarType::floating) {
    auto value = parse_yaml_float(text);
    if (value && std::isfinite(*value) && *value == std::trunc(*value) && std::fabs(*value) < 9.2e18)
      return static_cast<int64_t>(*value);
  }
  return std::nullopt;
}

std::optional<double> Node::as_double() const {
  if (kind != NodeKind::scalar) return std::nullopt;
  if (type == ScalarType::integer) {
    if (auto value = parse_yaml_integer(text)) return static_cast<double>(*value);
    return std::nullopt;
  }
  if (type == ScalarType::floating) return parse_yaml_float(text);
  return std::nullopt;
}

std::optional<bool> Node::as_boolean() const {
  if (kind != NodeKind::scalar || type != ScalarType::boolean) return std::nullopt;
  return text == "true" || text == "True" || text == "TRUE";
}

size_t Node::subtree_size() const {
  size_t size = 1;
  for (const Node& item : items) size += item.subtree_size();
  for (const MapEntry& entry : entries) size += entry.value.subtree_size();
  return size;
}

MappingBuilder::MappingBuilder(SourceMark mark) : node_(Node::mapping(std::move(mark))) {}

void MappingBuilder::set(std::string key, Node value, SourceMark key_mark) {
  auto it = index_.find(key);
  if (it != index_.end()) {
    node_.entries[it->second].value = std::move(value);
    return;
  }
  if (!key_mark.known()) key_mark = value.mark.known() ? value.mark : node_.mark;
  index_.emplace(key, node_.entries.size());
  node_.entries.push_back(MapEntry{std::move(key), std::move(key_mark), std::move(value)});
}

bool MappingBuilder::contains(const std::string& key) const { return index_.count(key) > 0; }

Node MappingBuilder::take() && { return std::move(node_); }

bool same_value(const Node& a, const Node& b) {
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case NodeKind::null: return true;
    case NodeKind::scalar:
      if (a.type != b.type) {
        // An integer and a float with the same value are the same number.
        if (a.is_number() && b.is_number()) return a.as_double() == b.as_double();
        return false;
      }
      return a.scalar_string() == b.scalar_string();
    case NodeKind::sequence:
      if (a.items.size() != b.items.size()) return false;
      for (size_t i = 0; i < a.items.size(); ++i)
        if (!same_value(a.items[i], b.items[i])) return false;
      return true;
    case NodeKind::mapping:
      if (a.entries.size() != b.entries.size()) return false;
      for (const MapEntry& entry : a.entries) {
        const Node* other = b.find(entry.key);
        if (!other || !same_value(entry.value, *other)) return false;
      }
      return true;
  }
  return false;
}

namespace {

bool is_yaml_float_syntax(std::string_view s) {
  // ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$
  size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  auto digits = [&] {
    size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    return i - start;
  };
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (digits() == 0) return false;
  } else {
    if (digits() == 0) return false;
    if (i < s.size() && s[i] == '.') {
      ++i;
      digits();
    }
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    if (digits() == 0) return false;
  }
  return i == s.size();
}

}  // namespace

std::optional<int64_t> parse_yaml_integer(std::string_view text) {
  std::string plain;
  plain.reserve(text.size());
  for (char c : text)
    if (c != '_') plain.push_back(c);
  std::string_view s = plain;
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return std::nullopt;
  int base = 10;
  if (s.size() > 1 && s[0] == '0') {
    char p = static_cast<char>(s[1] | 0x20);
    if (p == 'x') base = 16, s.remove_prefix(2);
    else if (p == 'o') base = 8, s.remove_prefix(2);
    else if (p == 'b') base = 2, s.remove_prefix(2);
    else base = 8, s.remove_prefix(1);  // Go's base-0 reading: a leading 0 means octal
  }
  if (s.empty()) return std::nullopt;
  uint64_t magnitude = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), magnitude, base);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  if (negative) {
    if (magnitude > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) + 1) return std::nullopt;
    return static_cast<int64_t>(0 - magnitude);
  }
  if (magnitude > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
  return static_cast<int64_t>(magnitude);
}

std::optional<double> parse_yaml_float(std::string_view text) {
  if (text == ".inf" || text == ".Inf" || text == ".INF" || text == "+.inf" || text == "+.Inf" || text == "+.INF")
    return std::numeric_limits<double>::infinity();
  if (text == "-.inf" || text == "-.Inf" || text == "-.INF") return -std::numeric_limits<double>::infinity();
  if (text == ".nan" || text == ".NaN" || text == ".NAN") return std::numeric_limits<double>::quiet_NaN();
  std::string plain;
  for (char c : text)
    if (c != '_') plain.push_back(c);
  if (!plain.empty() && plain[0] == '+') plain.erase(0, 1);
  double value = 0;
  auto [ptr, ec] = std::from_chars(plain.data(), plain.data() + plain.size(), value);
  if (ptr != plain.data() + plain.size() || plain.empty()) return std::nullopt;
  if (ec == std::errc::result_out_of_range) return std::nullopt;
  if (ec != std::errc()) return std::nullopt;
  return value;
}

PlainResolution resolve_plain_scalar(std::string_view text) {
  PlainResolution r;
  if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL") {
    r.kind = NodeKind::null;
    return r;
  }
  if (text == "true" || text == "True" || text == "TRUE" || text == "false" || text == "False" || text == "FALSE") {
    r.type = ScalarType::boolean;
    return r;
  }
  char first = text[0];
  bool numeric_start = (first >= '0' && first <= '9') || first == '-' || first == '+' || first == '.';
  if (!numeric_start) return r;
  if (parse_yaml_integer(text)) {
    r.type = ScalarType::integer;
    return r;
  }
  std::string plain;
  for (char c : text)
    if (c != '_') plain.push_back(c);
  if (is_yaml_float_syntax(plain) && parse_yaml_float(text)) {
    r.type = ScalarType::floating;
    return r;
  }
  static constexpr std::string_view kSpecialFloats[] = {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF",
                                                         "-.inf", "-.Inf", "-.INF", ".nan",  ".NaN",  ".NAN"};
  for (std::string_view special : kSpecialFloats) {
    if (text == special) {
      r.type = ScalarType::floating;
      return r;
    }
  }
  return r;
}

std::string describe_kind(const Node& node) {
  switch (node.kind) {
    case NodeKind::null: return "null";
    case NodeKind::sequence: return "a list";
    case NodeKind::mapping: return "a mapping";
    case NodeKind::scalar:
      switch (node.type) {
        case ScalarType::string: return "a string";
        case ScalarType::integer: return "an integer";
        case ScalarType::floating: return "a number";
        case ScalarType::boolean: return "a boolean";
      }
  }
  return "a value";
}

}  // namespace berth::compose
