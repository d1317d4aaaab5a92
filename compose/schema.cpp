#include "compose/schema.h"

#include <cmath>
#include <deque>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "compose/diagnostic.h"

namespace berth::compose {

extern const char* const kComposeSchemaJson;

namespace {

enum TypeBit : uint8_t {
  kObject = 1,
  kArray = 2,
  kString = 4,
  kNumber = 8,
  kInteger = 16,
  kBoolean = 32,
  kNull = 64,
};

// The regular expressions the schema uses, matched without a regex engine (std::regex recurses per character and
// would let a long value exhaust the stack). Unknown patterns fall back to std::regex on bounded input.
class Pattern {
 public:
  explicit Pattern(std::string source) : source_(std::move(source)) {
    if (source_ == "^x-") kind_ = Kind::x_prefix;
    else if (source_ == "^[a-zA-Z0-9._-]+$") kind_ = Kind::name;
    else if (source_ == "^.+$") kind_ = Kind::one_line;
    else if (source_ == ".+") kind_ = Kind::any_char;
    else if (source_ == "^[a-z]+$") kind_ = Kind::lower;
    else if (source_ == "[a-zA-Z0-9][a-zA-Z0-9_.-]+") kind_ = Kind::container_name;
    else if (source_.rfind("always|never|build|if_not_present|missing|refresh|daily|weekly|every_", 0) == 0)
      kind_ = Kind::pull_policy;
    else {
      kind_ = Kind::regex;
      regex_ = std::regex(source_, std::regex::ECMAScript);
    }
  }

  const std::string& source() const { return source_; }

  bool matches(std::string_view text) const {
    auto all = [&](auto predicate) {
      if (text.empty()) return false;
      for (char c : text)
        if (!predicate(static_cast<unsigned char>(c))) return false;
      return true;
    };
    auto alnum = [](unsigned char c) { return std::isalnum(c) != 0; };
    switch (kind_) {
      case Kind::x_prefix: return text.substr(0, 2) == "x-";
      case Kind::name: return all([&](unsigned char c) { return alnum(c) || c == '.' || c == '_' || c == '-'; });
      case Kind::one_line: return all([](unsigned char c) { return c != '\n' && c != '\r'; });
      case Kind::any_char:
        for (char c : text)
          if (c != '\n' && c != '\r') return true;
        return false;
      case Kind::lower: return all([](unsigned char c) { return c >= 'a' && c <= 'z'; });
      case Kind::container_name:
        for (size_t i = 0; i + 1 < text.size(); ++i) {
          unsigned char a = static_cast<unsigned char>(text[i]), b = static_cast<unsigned char>(text[i + 1]);
          if (alnum(a) && (alnum(b) || b == '_' || b == '.' || b == '-')) return true;
        }
        return false;
      case Kind::pull_policy: {
        for (std::string_view word : {"always", "never", "build", "if_not_present", "missing", "refresh", "daily", "weekly"})
          if (text.find(word) != std::string_view::npos) return true;
        for (size_t at = text.find("every_"); at != std::string_view::npos; at = text.find("every_", at + 1)) {
          size_t i = at + 6, digits = 0;
          while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i, ++digits;
          if (digits && i < text.size() && std::string_view("wdhms").find(text[i]) != std::string_view::npos) return true;
        }
        return false;
      }
      case Kind::regex:
        if (text.size() > 4096) return false;
        return std::regex_search(text.begin(), text.end(), regex_);
    }
    return false;
  }

 private:
  enum class Kind { x_prefix, name, one_line, any_char, lower, container_name, pull_policy, regex };
  std::string source_;
  Kind kind_ = Kind::regex;
  std::regex regex_;
};

struct EnumValue {
  uint8_t type = 0;
  std::string text;
  double number = 0;
};

struct Schema {
  uint8_t types = 0;  // 0: any type
  bool never = false;  // `false`
  const Schema* ref = nullptr;
  std::map<std::string, const Schema*, std::less<>> properties;
  std::vector<std::pair<Pattern, const Schema*>> pattern_properties;
  enum class Additional { allow, deny, schema } additional = Additional::allow;
  const Schema* additional_schema = nullptr;
  const Schema* items = nullptr;
  std::vector<const Schema*> one_of;
  std::vector<const Schema*> any_of;
  std::vector<const Schema*> all_of;
  std::vector<std::string> required;
  std::vector<EnumValue> enum_values;
  std::optional<double> minimum;
  std::optional<double> maximum;
  std::optional<Pattern> pattern;
  bool unique_items = false;
};

uint8_t type_bit(const std::string& name) {
  if (name == "object") return kObject;
  if (name == "array") return kArray;
  if (name == "string") return kString;
  if (name == "number") return kNumber;
  if (name == "integer") return kInteger;
  if (name == "boolean") return kBoolean;
  if (name == "null") return kNull;
  return 0;
}

class CompiledSchema {
 public:
  CompiledSchema() {
    nlohmann::json document = nlohmann::json::parse(kComposeSchemaJson);
    // Definitions first, so that references can point at them (they may refer to each other).
    if (document.contains("$defs")) {
      for (auto& [name, definition] : document["$defs"].items()) definitions_["#/$defs/" + name] = &arena_.emplace_back();
      for (auto& [name, definition] : document["$defs"].items())
        compile(definition, *const_cast<Schema*>(definitions_["#/$defs/" + name]));
    }
    root_ = &arena_.emplace_back();
    compile(document, *root_);
  }

  const Schema& root() const { return *root_; }

 private:
  const Schema* compile_new(const nlohmann::json& json) {
    Schema& schema = arena_.emplace_back();
    compile(json, schema);
    return &schema;
  }

  void compile(const nlohmann::json& json, Schema& schema) {
    if (json.is_boolean()) {
      schema.never = !json.get<bool>();
      return;
    }
    if (!json.is_object()) return;
    if (auto it = json.find("$ref"); it != json.end()) {
      auto target = definitions_.find(it->get<std::string>());
      if (target != definitions_.end()) schema.ref = target->second;
    }
    if (auto it = json.find("type"); it != json.end()) {
      if (it->is_string()) schema.types = type_bit(it->get<std::string>());
      else if (it->is_array())
        for (const auto& t : *it)
          if (t.is_string()) schema.types |= type_bit(t.get<std::string>());
    }
    if (auto it = json.find("properties"); it != json.end() && it->is_object())
      for (auto& [name, property] : it->items()) schema.properties[name] = compile_new(property);
    if (auto it = json.find("patternProperties"); it != json.end() && it->is_object())
      for (auto& [source, property] : it->items()) schema.pattern_properties.emplace_back(Pattern(source), compile_new(property));
    if (auto it = json.find("additionalProperties"); it != json.end()) {
      if (it->is_boolean()) {
        schema.additional = it->get<bool>() ? Schema::Additional::allow : Schema::Additional::deny;
      } else {
        schema.additional = Schema::Additional::schema;
        schema.additional_schema = compile_new(*it);
      }
    }
    if (auto it = json.find("items"); it != json.end()) schema.items = compile_new(*it);
    for (const char* key : {"oneOf", "anyOf", "allOf"}) {
      auto it = json.find(key);
      if (it == json.end() || !it->is_array()) continue;
      auto& target = key[0] == 'o' ? schema.one_of : key[1] == 'n' ? schema.any_of : schema.all_of;
      for (const auto& branch : *it) target.push_back(compile_new(branch));
    }
    if (auto it = json.find("required"); it != json.end() && it->is_array())
      for (const auto& name : *it)
        if (name.is_string()) schema.required.push_back(name.get<std::string>());
    if (auto it = json.find("enum"); it != json.end() && it->is_array()) {
      for (const auto& value : *it) {
        EnumValue e;
        if (value.is_string()) e.type = kString, e.text = value.get<std::string>();
        else if (value.is_boolean()) e.type = kBoolean, e.text = value.get<bool>() ? "true" : "false";
        else if (value.is_number()) e.type = kNumber, e.number = value.get<double>(), e.text = value.dump();
        else if (value.is_null()) e.type = kNull;
        schema.enum_values.push_back(std::move(e));
      }
    }
    if (auto it = json.find("minimum"); it != json.end() && it->is_number()) schema.minimum = it->get<double>();
    if (auto it = json.find("maximum"); it != json.end() && it->is_number()) schema.maximum = it->get<double>();
    if (auto it = json.find("pattern"); it != json.end() && it->is_string()) schema.pattern.emplace(it->get<std::string>());
    if (auto it = json.find("uniqueItems"); it != json.end() && it->is_boolean()) schema.unique_items = it->get<bool>();
  }

  std::deque<Schema> arena_;
  std::map<std::string, const Schema*> definitions_;
  Schema* root_ = nullptr;
};

const CompiledSchema& compiled_schema() {
  static const CompiledSchema schema;
  return schema;
}

uint8_t types_of(const Node& node) {
  switch (node.kind) {
    case NodeKind::null: return kNull;
    case NodeKind::mapping: return kObject;
    case NodeKind::sequence: return kArray;
    case NodeKind::scalar:
      switch (node.type) {
        case ScalarType::string: return kString;
        case ScalarType::boolean: return kBoolean;
        case ScalarType::integer: return kInteger | kNumber;
        case ScalarType::floating: {
          auto value = node.as_double();
          if (value && std::isfinite(*value) && *value == std::trunc(*value)) return kInteger | kNumber;
          return kNumber;
        }
      }
  }
  return 0;
}

std::string describe_types(uint8_t types) {
  std::vector<std::string> names;
  if (types & kString) names.push_back("a string");
  if (types & kNumber) names.push_back("a number");
  else if (types & kInteger) names.push_back("an integer");
  if (types & kBoolean) names.push_back("a boolean");
  if (types & kArray) names.push_back("a list");
  if (types & kObject) names.push_back("a mapping");
  if (types & kNull) names.push_back("null");
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i) out += i + 1 == names.size() ? " or " : ", ";
    out += names[i];
  }
  return out;
}

// A canonical text of a value, for uniqueItems.
void canonical_text(const Node& node, std::string& out) {
  switch (node.kind) {
    case NodeKind::null: out += "~"; return;
    case NodeKind::scalar:
      out += static_cast<char>('0' + static_cast<int>(node.type));
      out += node.scalar_string();
      out += '\x1f';
      return;
    case NodeKind::sequence:
      out += '[';
      for (const Node& item : node.items) canonical_text(item, out);
      out += ']';
      return;
    case NodeKind::mapping: {
      std::vector<const MapEntry*> entries;
      for (const MapEntry& e : node.entries) entries.push_back(&e);
      std::sort(entries.begin(), entries.end(), [](auto* a, auto* b) { return a->key < b->key; });
      out += '{';
      for (const MapEntry* e : entries) {
        out += e->key;
        out += '\x1e';
        canonical_text(e->value, out);
      }
      out += '}';
      return;
    }
  }
}

struct Violation {
  SourceMark mark;
  std::string path;
  std::string message;
};

class Validator {
 public:
  std::optional<Violation> check(const Node& node, const Schema& schema, KeyPath& path) {
    if (schema.never) return violation(node, path, "is not allowed here");
    if (schema.ref) {
      if (auto v = check(node, *schema.ref, path)) return v;
    }
    uint8_t node_types = types_of(node);
    if (schema.types && !(schema.types & node_types))
      return violation(node, path, "must be " + describe_types(schema.types) + ", found " + describe_kind(node));
    if (!schema.enum_values.empty() && !in_enum(node, schema)) {
      std::string allowed;
      for (const EnumValue& e : schema.enum_values) {
        if (!allowed.empty()) allowed += ", ";
        allowed += e.type == kString ? quote(e.text) : e.text;
      }
      return violation(node, path, "must be one of " + allowed + ", found " + quote(node.scalar_string()));
    }
    if (node.is_number()) {
      auto value = node.as_double();
      if (value && schema.minimum && *value < *schema.minimum)
        return violation(node, path, "must be at least " + format_bound(*schema.minimum));
      if (value && schema.maximum && *value > *schema.maximum)
        return violation(node, path, "must be at most " + format_bound(*schema.maximum));
    }
    if (node.is_string() && schema.pattern && !schema.pattern->matches(node.text))
      return violation(node, path, quote(node.text) + " does not match the pattern " + quote(schema.pattern->source()));
    if (node.is_mapping()) {
      if (auto v = check_object(node, schema, path)) return v;
    }
    if (node.is_sequence()) {
      if (auto v = check_array(node, schema, path)) return v;
    }
    for (const Schema* branch : schema.all_of)
      if (auto v = check(node, *branch, path)) return v;
    if (!schema.any_of.empty()) {
      std::optional<Violation> first;
      bool any = false;
      for (const Schema* branch : schema.any_of) {
        auto v = check(node, *branch, path);
        if (!v) {
          any = true;
          break;
        }
        if (!first) first = std::move(v);
      }
      if (!any) return first;
    }
    if (!schema.one_of.empty()) return check_one_of(node, schema, path);
    return std::nullopt;
  }

 private:
  static std::string format_bound(double value) {
    if (value == std::trunc(value)) return std::to_string(static_cast<int64_t>(value));
    return std::to_string(value);
  }

  static std::optional<Violation> violation(const Node& node, const KeyPath& path, std::string message) {
    return Violation{node.mark, path.str(), std::move(message)};
  }

  static bool in_enum(const Node& node, const Schema& schema) {
    uint8_t types = types_of(node);
    for (const EnumValue& e : schema.enum_values) {
      if (e.type == kString && (types & kString) && node.text == e.text) return true;
      if (e.type == kBoolean && (types & kBoolean) && node.scalar_string() == e.text) return true;
      if (e.type == kNumber && (types & kNumber) && node.as_double() == e.number) return true;
      if (e.type == kNull && node.is_null()) return true;
    }
    return false;
  }

  std::optional<Violation> check_object(const Node& node, const Schema& schema, KeyPath& path) {
    for (const std::string& name : schema.required) {
      if (!node.contains(name)) return violation(node, path, "missing required property " + quote(name));
    }
    for (const MapEntry& entry : node.entries) {
      bool known = false;
      path.push(entry.key);
      if (auto it = schema.properties.find(entry.key); it != schema.properties.end()) {
        known = true;
        if (auto v = check(entry.value, *it->second, path)) return v;
      }
      for (const auto& [pattern, property] : schema.pattern_properties) {
        if (!pattern.matches(entry.key)) continue;
        known = true;
        if (auto v = check(entry.value, *property, path)) return v;
      }
      path.pop();
      if (known) continue;
      if (schema.additional == Schema::Additional::deny) {
        return Violation{entry.key_mark.known() ? entry.key_mark : node.mark, path.str(),
                         "additional property " + quote(entry.key) + " is not allowed"};
      }
      if (schema.additional == Schema::Additional::schema) {
        path.push(entry.key);
        auto v = check(entry.value, *schema.additional_schema, path);
        path.pop();
        if (v) return v;
      }
    }
    return std::nullopt;
  }

  std::optional<Violation> check_array(const Node& node, const Schema& schema, KeyPath& path) {
    if (schema.items) {
      for (size_t i = 0; i < node.items.size(); ++i) {
        path.push_index(i);
        auto v = check(node.items[i], *schema.items, path);
        path.pop();
        if (v) return v;
      }
    }
    if (schema.unique_items && node.items.size() > 1) {
      std::map<std::string, size_t> seen;
      for (size_t i = 0; i < node.items.size(); ++i) {
        std::string text;
        canonical_text(node.items[i], text);
        auto [it, inserted] = seen.emplace(std::move(text), i);
        if (!inserted) {
          path.push_index(i);
          auto v = violation(node.items[i], path,
                             "duplicate entry (the same as item " + std::to_string(it->second) + ")");
          path.pop();
          return v;
        }
      }
    }
    return std::nullopt;
  }

  std::optional<Violation> check_one_of(const Node& node, const Schema& schema, KeyPath& path) {
    size_t matching = 0;
    std::optional<Violation> best;
    uint8_t allowed = 0;
    uint8_t node_types = types_of(node);
    for (const Schema* branch : schema.one_of) {
      uint8_t branch_types = declared_types(*branch);
      allowed |= branch_types ? branch_types : 0xFF;
      auto v = check(node, *branch, path);
      if (!v) {
        ++matching;
        continue;
      }
      // The branch written for this kind of value explains the problem best.
      if (branch_types & node_types) best = std::move(v);
    }
    if (matching == 1) return std::nullopt;
    if (matching > 1) return violation(node, path, "matches more than one of the allowed forms");
    if (best) return best;
    return violation(node, path, "must be " + describe_types(allowed) + ", found " + describe_kind(node));
  }

  static uint8_t declared_types(const Schema& schema) {
    if (schema.types) return schema.types;
    if (schema.ref) return declared_types(*schema.ref);
    uint8_t types = 0;
    for (const Schema* branch : schema.one_of) types |= declared_types(*branch);
    return types;
  }
};

}  // namespace

Result<void> validate_schema(const Node& tree) {
  Validator validator;
  KeyPath path;
  if (auto v = validator.check(tree, compiled_schema().root(), path)) return located_error(v->mark, v->path, v->message);
  return {};
}

}  // namespace berth::compose
