// The loader's working tree: what a compose file says, before it becomes typed. Every stage of the loader (reset
// tags, interpolation, include/extends, merge, canonical forms, normalisation, schema validation) is a pure function
// over this tree, as compose-go's stages are over map[string]any. Unlike a bare map, every node keeps where it came
// from (file, line, column), so any stage can say where a problem is. No YAML library type appears here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace berth::compose {

// A position in a source file, 1-based (0 when unknown). The file name is interned (see intern_file_name): nodes
// are copied a lot while files merge, and a plain pointer costs nothing to copy.
struct SourceMark {
  const std::string* file = nullptr;
  int line = 0;
  int column = 0;

  bool known() const { return file != nullptr; }
  // "compose.yaml:12:7", or "" when unknown.
  std::string str() const;
};

// A stable pointer to `name`, the same for equal names, valid for the life of the process. Compose file names are
// few (a process loads one project), so the table never needs to shrink.
const std::string* intern_file_name(std::string_view name);

enum class NodeKind : uint8_t { null, scalar, sequence, mapping };

// How a scalar reads. Plain scalars are resolved as YAML 1.2's core schema (and go-yaml) resolves them: `3000` is an
// integer, `true` a boolean, `1.5` a float. Quoted and block scalars, and anything produced by interpolation, are
// strings.
enum class ScalarType : uint8_t { string, integer, floating, boolean };

// `!reset` and `!override` from the Compose Specification's merge rules; other tags are not kept.
enum class NodeTag : uint8_t { none, reset, override_value };

struct MapEntry;

struct Node {
  NodeKind kind = NodeKind::null;
  ScalarType type = ScalarType::string;
  NodeTag tag = NodeTag::none;
  std::string text;               // a scalar's text as written (integers keep their notation: "0x10", "0440")
  std::vector<Node> items;        // a sequence's items
  std::vector<MapEntry> entries;  // a mapping's entries, in document order; keys are unique
  SourceMark mark;

  static Node null_value(SourceMark mark = {});
  static Node string(std::string text, SourceMark mark = {});
  static Node integer(int64_t value, SourceMark mark = {});
  static Node boolean(bool value, SourceMark mark = {});
  static Node floating(double value, SourceMark mark = {});
  static Node sequence(SourceMark mark = {});
  static Node mapping(SourceMark mark = {});
  // A plain scalar, typed by YAML 1.2 core-schema resolution (null for "", "~", "null").
  static Node plain(std::string text, SourceMark mark = {});

  bool is_null() const { return kind == NodeKind::null; }
  bool is_scalar() const { return kind == NodeKind::scalar; }
  bool is_sequence() const { return kind == NodeKind::sequence; }
  bool is_mapping() const { return kind == NodeKind::mapping; }
  bool is_string() const { return kind == NodeKind::scalar && type == ScalarType::string; }
  bool is_integer() const { return kind == NodeKind::scalar && type == ScalarType::integer; }
  bool is_boolean() const { return kind == NodeKind::scalar && type == ScalarType::boolean; }
  bool is_number() const {
    return kind == NodeKind::scalar && (type == ScalarType::integer || type == ScalarType::floating);
  }

  // Mapping access. find() is null when absent (or when this is not a mapping).
  const Node* find(std::string_view key) const;
  Node* find(std::string_view key);
  bool contains(std::string_view key) const { return find(key) != nullptr; }
  // Replaces the value of `key`, or appends it; returns the stored value.
  Node& set(std::string key, Node value, SourceMark key_mark = {});
  bool erase(std::string_view key);

  // The scalar as Go's fmt.Sprint prints the decoded value: integers in decimal ("0x10" -> "16"), floats in Go's
  // shortest form ("1.0" -> "1"), booleans as true/false, strings as they are; "" for null.
  std::string scalar_string() const;
  std::optional<int64_t> as_integer() const;  // integers, and floats with no fraction
  std::optional<double> as_double() const;    // integers and floats
  std::optional<bool> as_boolean() const;

  // Number of nodes in this subtree (for resource limits).
  size_t subtree_size() const;
};

struct MapEntry {
  std::string key;
  SourceMark key_mark;
  Node value;
};

// Builds a mapping in linear time from entries that may repeat a key (the later value replaces the earlier, in the
// earlier's place), where Node::set would be quadratic on large user-made lists.
class MappingBuilder {
 public:
  explicit MappingBuilder(SourceMark mark = {});
  void set(std::string key, Node value, SourceMark key_mark = {});
  bool contains(const std::string& key) const;
  Node take() &&;

 private:
  Node node_;
  std::unordered_map<std::string, size_t> index_;
};

// Structural equality: kind, scalar type and text (scalars compared by their resolved value), items, and entries
// compared as unordered mappings. Marks and tags are ignored.
bool same_value(const Node& a, const Node& b);

// The YAML 1.2 core-schema reading of a plain scalar, as go-yaml resolves it when decoding into interface{}.
struct PlainResolution {
  NodeKind kind = NodeKind::scalar;
  ScalarType type = ScalarType::string;
};
PlainResolution resolve_plain_scalar(std::string_view text);

// Go's strconv.ParseInt(s, 0, 64) after removing '_' (go-yaml's reading of plain integers).
std::optional<int64_t> parse_yaml_integer(std::string_view text);
std::optional<double> parse_yaml_float(std::string_view text);

// A short description of a node's type for error messages: "a string", "a mapping", "a list", "null", ...
std::string describe_kind(const Node& node);

}  // namespace berth::compose
