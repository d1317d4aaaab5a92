#include "compose/diagnostic.h"

#include <cstdio>

namespace berth::compose {

std::string KeyPath::str() const {
  std::string out;
  for (const std::string& segment : segments_) {
    if (!out.empty() && (segment.empty() || segment[0] != '[')) out += '.';
    out += segment;
  }
  return out;
}

KeyPath KeyPath::child(std::string_view key) const {
  KeyPath copy = *this;
  copy.push(key);
  return copy;
}

KeyPath KeyPath::item(size_t index) const {
  KeyPath copy = *this;
  copy.push_index(index);
  return copy;
}

Error located_error(const SourceMark& mark, std::string_view path, std::string_view message) {
  std::string text;
  if (mark.known()) text += mark.str() + ": ";
  if (!path.empty()) {
    text += path;
    text += ": ";
  }
  text += message;
  return Error(std::move(text));
}

std::string quote(std::string_view text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20 || c == 0x7F) {
          char buffer[8];
          std::snprintf(buffer, sizeof buffer, "\\x%02x", c);
          out += buffer;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
  return out;
}

}  // namespace berth::compose
