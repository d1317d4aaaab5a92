#include "compose/emit.h"

#include <algorithm>
#include <cstdio>

#include "compose/go_format.h"
#include "compose/node.h"

namespace berth::compose {

OutValue OutValue::of(bool value) {
  OutValue v;
  v.kind = Kind::boolean;
  v.boolean = value;
  return v;
}

OutValue OutValue::of(int64_t value) {
  OutValue v;
  v.kind = Kind::integer;
  v.integer = value;
  return v;
}

OutValue OutValue::of(double value, int bits) {
  OutValue v;
  v.kind = Kind::number;
  v.number = value;
  v.float_bits = bits;
  return v;
}

OutValue OutValue::of(std::string value) {
  OutValue v;
  v.kind = Kind::string;
  v.string = std::move(value);
  return v;
}

OutValue OutValue::list() {
  OutValue v;
  v.kind = Kind::list;
  return v;
}

OutValue OutValue::map(bool sorted) {
  OutValue v;
  v.kind = Kind::map;
  v.sorted = sorted;
  return v;
}

namespace {

// ---- YAML ----

// Code points libyaml prints as they are (others force double quotes).
bool printable(unsigned char c) { return c == '\n' || (c >= 0x20 && c != 0x7F); }

bool valid_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t length = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (length == 0 || i + length > s.size()) return false;
    for (size_t k = 1; k < length; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += length;
  }
  return true;
}

bool has_special_characters(std::string_view s) {
  if (!valid_utf8(s)) return true;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (!printable(c)) return true;
    if (c == 0xEF && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0xBB &&
        static_cast<unsigned char>(s[i + 2]) == 0xBF)
      return true;  // byte order mark
    if (c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) < 0xA0) return true;  // C1 controls
  }
  return false;
}

bool yaml11_compatibility_quote(std::string_view s) {
  static constexpr std::string_view kOldBools[] = {"y",  "Y",  "yes", "Yes", "YES", "on",  "On",  "ON",
                                                   "n",  "N",  "no",  "No",  "NO",  "off", "Off", "OFF"};
  for (std::string_view b : kOldBools)
    if (s == b) return true;
  if (s == "<<") return true;
  // YAML 1.1 base-60 floats such as "1:20" or "-3:25:45".
  if (!s.empty() && (s[0] == '+' || s[0] == '-' || (s[0] >= '0' && s[0] <= '9')) && s.find(':') != std::string_view::npos) {
    size_t i = (s[0] == '+' || s[0] == '-') ? 1 : 0;
    if (i >= s.size() || !(s[i] >= '0' && s[i] <= '9')) return false;
    while (i < s.size() && ((s[i] >= '0' && s[i] <= '9') || s[i] == '_')) ++i;
    bool groups = false;
    while (i < s.size() && s[i] == ':') {
      ++i;
      // [0-5]?[0-9]
      if (i + 1 < s.size() && s[i] >= '0' && s[i] <= '5' && s[i + 1] >= '0' && s[i + 1] <= '9') i += 2;
      else if (i < s.size() && s[i] >= '0' && s[i] <= '9') i += 1;
      else return false;
      groups = true;
    }
    if (i < s.size() && s[i] == '.') {
      ++i;
      while (i < s.size() && ((s[i] >= '0' && s[i] <= '9') || s[i] == '_')) ++i;
    }
    return groups && i == s.size();
  }
  return false;
}

// libyaml's rule for block-context plain scalars.
bool plain_allowed(std::string_view s) {
  if (s.empty()) return false;
  if (s.substr(0, 3) == "---" || s.substr(0, 3) == "...") return false;
  if (s.front() == ' ' || s.back() == ' ') return false;
  char first = s[0];
  std::string_view indicators = ",[]{}#&*!|>'\"%@`";
  if (indicators.find(first) != std::string_view::npos) return false;
  if ((first == '-' || first == '?' || first == ':') && (s.size() == 1 || s[1] == ' ')) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == ':' && (i + 1 == s.size() || s[i + 1] == ' ')) return false;
    if (s[i] == '#' && i > 0 && s[i - 1] == ' ') return false;
    if (s[i] == '\n') return false;
  }
  return true;
}

std::string double_quoted(std::string_view s) {
  const bool utf8 = valid_utf8(s);
  std::string out = "\"";
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"': out += "\\\""; continue;
      case '\\': out += "\\\\"; continue;
      case '\n': out += "\\n"; continue;
      case '\t': out += "\\t"; continue;
      case '\r': out += "\\r"; continue;
      case 0: out += "\\0"; continue;
      case '\a': out += "\\a"; continue;
      case '\b': out += "\\b"; continue;
      case 0x1B: out += "\\e"; continue;
      case '\f': out += "\\f"; continue;
      case '\v': out += "\\v"; continue;
      default: break;
    }
    if (c < 0x20 || c == 0x7F || (c >= 0x80 && !utf8)) {
      char buffer[8];
      std::snprintf(buffer, sizeof buffer, "\\x%02X", c);
      out += buffer;
      continue;
    }
    out += static_cast<char>(c);
  }
  out += '"';
  return out;
}

std::string single_quoted(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "''";
    else out += c;
  }
  out += '\'';
  return out;
}

bool literal_allowed(std::string_view s) {
  if (has_special_characters(s)) return false;
  if (s.front() == ' ' || s.front() == '\n') return false;
  if (s.back() == ' ') return false;
  for (size_t i = 0; i + 1 < s.size(); ++i)
    if (s[i] == ' ' && s[i + 1] == '\n') return false;  // a trailing space on a line does not survive a block
  return true;
}

// A scalar string as one line of YAML, or "" when it must be a literal block.
std::string yaml_inline_string(std::string_view s) {
  if (s.find('\n') != std::string_view::npos) return literal_allowed(s) ? std::string() : double_quoted(s);
  if (s.empty()) return "\"\"";
  if (yaml11_compatibility_quote(s)) return single_quoted(s);
  if (has_special_characters(s)) return double_quoted(s);
  PlainResolution resolved = resolve_plain_scalar(s);
  if (resolved.kind == NodeKind::null || resolved.type != ScalarType::string) return double_quoted(s);
  if (plain_allowed(s)) return std::string(s);
  return single_quoted(s);
}

std::string yaml_float(double value, int bits) {
  std::string text = go_format_float(value, bits);
  if (text == "+Inf") return ".inf";
  if (text == "-Inf") return "-.inf";
  if (text == "NaN") return ".nan";
  return text;
}

std::vector<size_t> entry_order(const OutValue& map, bool json) {
  std::vector<size_t> order(map.entries.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  if (map.sorted) {
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      const std::string& x = map.entries[a].key;
      const std::string& y = map.entries[b].key;
      return json ? x < y : go_yaml_key_less(x, y);
    });
  }
  return order;
}

class YamlWriter {
 public:
  std::string out;

  void block(const OutValue& value, int indent) {
    if (value.kind == OutValue::Kind::map) {
      for (size_t index : entry_order(value, false)) {
        const auto& [key, child] = value.entries[index];
        out.append(static_cast<size_t>(indent), ' ');
        std::string key_text = yaml_inline_string(key);
        out += key_text.empty() ? double_quoted(key) : key_text;
        out += ':';
        after_key(child, indent);
      }
    } else if (value.kind == OutValue::Kind::list) {
      for (const OutValue& item : value.items) {
        if (is_nonempty_collection(item)) {
          // "- " takes the place of the first line's indentation.
          YamlWriter nested;
          nested.block(item, indent + 2);
          std::string& text = nested.out;
          text.replace(0, static_cast<size_t>(indent + 2), std::string(static_cast<size_t>(indent), ' ') + "- ");
          out += text;
          continue;
        }
        out.append(static_cast<size_t>(indent), ' ');
        out += '-';
        after_key(item, indent);
      }
    }
  }

 private:
  static bool is_nonempty_collection(const OutValue& v) {
    return (v.kind == OutValue::Kind::map && !v.entries.empty()) || (v.kind == OutValue::Kind::list && !v.items.empty());
  }

  // What follows "key:" or "-": a scalar on the same line, or a block below.
  void after_key(const OutValue& value, int indent) {
    switch (value.kind) {
      case OutValue::Kind::map:
        if (value.entries.empty()) {
          out += " {}\n";
        } else {
          out += '\n';
          block(value, indent + 2);
        }
        return;
      case OutValue::Kind::list:
        if (value.items.empty()) {
          out += " []\n";
        } else {
          out += '\n';
          block(value, indent + 2);
        }
        return;
      case OutValue::Kind::string: {
        std::string inline_text = yaml_inline_string(value.string);
        if (!inline_text.empty()) {
          out += ' ' + inline_text + '\n';
          return;
        }
        literal(value.string, indent + 2);
        return;
      }
      default: out += ' ' + scalar(value) + '\n';
    }
  }

  void literal(std::string_view text, int indent) {
    size_t trailing = 0;
    while (trailing < text.size() && text[text.size() - 1 - trailing] == '\n') ++trailing;
    out += trailing == 0 ? " |-\n" : trailing == 1 ? " |\n" : " |+\n";
    std::string_view body = text.substr(0, text.size() - trailing);
    size_t start = 0;
    while (start <= body.size()) {
      size_t end = body.find('\n', start);
      std::string_view line = body.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
      if (!line.empty()) out.append(static_cast<size_t>(indent), ' ');
      out += line;
      out += '\n';
      if (end == std::string_view::npos) break;
      start = end + 1;
    }
    for (size_t i = 1; i < trailing; ++i) out += '\n';
  }

  static std::string scalar(const OutValue& value) {
    switch (value.kind) {
      case OutValue::Kind::null: return "null";
      case OutValue::Kind::boolean: return value.boolean ? "true" : "false";
      case OutValue::Kind::integer: return std::to_string(value.integer);
      case OutValue::Kind::number: return yaml_float(value.number, value.float_bits);
      default: return "";
    }
  }
};

// ---- JSON ----

void json_string(std::string_view s, std::string& out) {
  out += '"';
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"': out += "\\\""; continue;
      case '\\': out += "\\\\"; continue;
      case '\n': out += "\\n"; continue;
      case '\r': out += "\\r"; continue;
      case '\t': out += "\\t"; continue;
      case '<': out += "\\u003c"; continue;  // encoding/json escapes HTML-significant characters
      case '>': out += "\\u003e"; continue;
      case '&': out += "\\u0026"; continue;
      default: break;
    }
    if (c < 0x20) {
      char buffer[8];
      std::snprintf(buffer, sizeof buffer, "\\u%04x", c);
      out += buffer;
      continue;
    }
    if (c < 0x80) {
      out += static_cast<char>(c);
      continue;
    }
    size_t length = (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (length == 0 || i + length > s.size() || !valid_utf8(s.substr(i, length))) {
      out += "\\ufffd";
      continue;
    }
    std::string_view sequence = s.substr(i, length);
    if (sequence == "\xE2\x80\xA8") out += "\\u2028";
    else if (sequence == "\xE2\x80\xA9") out += "\\u2029";
    else out += sequence;
    i += length - 1;
  }
  out += '"';
}

void json_value(const OutValue& value, int indent, std::string& out) {
  auto newline = [&](int level) {
    out += '\n';
    out.append(static_cast<size_t>(level * 2), ' ');
  };
  switch (value.kind) {
    case OutValue::Kind::null: out += "null"; return;
    case OutValue::Kind::boolean: out += value.boolean ? "true" : "false"; return;
    case OutValue::Kind::integer: out += std::to_string(value.integer); return;
    case OutValue::Kind::number: out += go_json_float(value.number, value.float_bits); return;
    case OutValue::Kind::string: json_string(value.string, out); return;
    case OutValue::Kind::list:
      if (value.items.empty()) {
        out += "[]";
        return;
      }
      out += '[';
      for (size_t i = 0; i < value.items.size(); ++i) {
        if (i) out += ',';
        newline(indent + 1);
        json_value(value.items[i], indent + 1, out);
      }
      newline(indent);
      out += ']';
      return;
    case OutValue::Kind::map: {
      if (value.entries.empty()) {
        out += "{}";
        return;
      }
      out += '{';
      bool first = true;
      for (size_t index : entry_order(value, true)) {
        if (!first) out += ',';
        first = false;
        newline(indent + 1);
        json_string(value.entries[index].key, out);
        out += ": ";
        json_value(value.entries[index].value, indent + 1, out);
      }
      newline(indent);
      out += '}';
      return;
    }
  }
}

}  // namespace

std::string write_yaml(const OutValue& document) {
  YamlWriter writer;
  if (document.kind == OutValue::Kind::map && !document.entries.empty()) {
    writer.block(document, 0);
  } else if (document.kind == OutValue::Kind::list && !document.items.empty()) {
    writer.block(document, 0);
  } else if (document.kind == OutValue::Kind::map) {
    writer.out = "{}\n";
  } else if (document.kind == OutValue::Kind::list) {
    writer.out = "[]\n";
  }
  return writer.out;
}

std::string write_json(const OutValue& document) {
  std::string out;
  json_value(document, 0, out);
  return out;
}

}  // namespace berth::compose
