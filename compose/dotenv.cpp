#include "compose/dotenv.h"

namespace berth::compose {

namespace {

// Spaces that are not line breaks (compose-go's isSpace): tab, vertical tab, form feed, CR, space, NEL, NBSP.
size_t space_length(std::string_view s, size_t i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  if (c == '\t' || c == '\v' || c == '\f' || c == '\r' || c == ' ') return 1;
  if (c == 0xC2 && i + 1 < s.size()) {
    unsigned char d = static_cast<unsigned char>(s[i + 1]);
    if (d == 0x85 || d == 0xA0) return 2;
  }
  return 0;
}

size_t skip_spaces(std::string_view s, size_t i) {
  while (i < s.size()) {
    size_t length = space_length(s, i);
    if (length == 0) break;
    i += length;
  }
  return i;
}

bool is_unicode_space(std::string_view s, size_t i) { return s[i] == '\n' || space_length(s, i) > 0; }

bool is_key_char(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  if (c == '_' || c == '.' || c == '-' || c == '[' || c == ']') return true;
  return c >= 0x80;  // letters and digits of other scripts
}

std::string trim_right_spaces(std::string_view s) {
  size_t end = s.size();
  while (end > 0) {
    unsigned char c = static_cast<unsigned char>(s[end - 1]);
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') {
      --end;
      continue;
    }
    if (end >= 2 && static_cast<unsigned char>(s[end - 2]) == 0xC2 && (c == 0x85 || c == 0xA0)) {
      end -= 2;
      continue;
    }
    break;
  }
  return std::string(s.substr(0, end));
}

// Shell escapes in double-quoted values: \a \b \f \n \r \t \v \" \\, \$ (kept for the expansion as $$), and
// \0NNN octal.
std::string expand_escapes(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 >= s.size()) {
      out += s[i];
      continue;
    }
    char e = s[i + 1];
    char replacement = 0;
    switch (e) {
      case 'a': replacement = '\a'; break;
      case 'b': replacement = '\b'; break;
      case 'f': replacement = '\f'; break;
      case 'n': replacement = '\n'; break;
      case 'r': replacement = '\r'; break;
      case 't': replacement = '\t'; break;
      case 'v': replacement = '\v'; break;
      case '"': replacement = '"'; break;
      case '\\': replacement = '\\'; break;
      default: break;
    }
    if (replacement) {
      out += replacement;
      ++i;
      continue;
    }
    if (e == '$') {
      out += "$$";
      ++i;
      continue;
    }
    if (e == '0') {
      size_t j = i + 2, digits = 0;
      while (j < s.size() && digits < 3 && s[j] >= '0' && s[j] <= '9') ++j, ++digits;
      std::string_view octal = s.substr(i + 2, digits);
      bool valid = digits == 3;
      int value = 0;
      for (char d : octal) {
        if (d > '7') valid = false;
        value = value * 8 + (d - '0');
      }
      if (valid && value <= 255) out += static_cast<char>(value);
      else out += "\\" + std::string(octal);  // what the reference leaves for a malformed \0 escape
      i = j - 1;
      continue;
    }
    out += s[i];  // not an escape we know: keep the backslash
  }
  return out;
}

}  // namespace

Result<void> parse_dotenv(std::string_view content, EnvMap& values, const VariableLookup& lookup,
                          std::string_view source) {
  if (content.substr(0, 3) == "\xEF\xBB\xBF") content.remove_prefix(3);
  int line = 1;
  auto failure = [&](const std::string& message) {
    std::string prefix = source.empty() ? "" : std::string(source) + ":";
    return Error(prefix + std::to_string(line) + ": " + message);
  };
  auto expand = [&](std::string_view text, std::string& out) -> Result<void> {
    Substitution result = substitute(text, [&](std::string_view name) -> std::optional<std::string> {
      if (lookup) {
        if (auto value = lookup(name)) return value;
      }
      auto it = values.find(std::string(name));
      if (it != values.end()) return it->second;
      return std::nullopt;
    });
    if (result.error) return failure(result.error->message());
    out = std::move(result.value);
    return {};
  };

  size_t i = 0;
  const size_t n = content.size();
  while (true) {
    // Start of the next statement: skip whitespace (counting lines) and comment lines.
    while (i < n) {
      if (content[i] == '\n') {
        ++line;
        ++i;
        continue;
      }
      if (is_unicode_space(content, i)) {
        i += std::max<size_t>(space_length(content, i), 1);
        continue;
      }
      if (content[i] == '#') {
        while (i < n && content[i] != '\n') ++i;
        continue;
      }
      break;
    }
    if (i >= n) break;

    // The key, after an optional "export" and whitespace.
    std::string_view rest = content.substr(i);
    if (rest.size() > 6 && rest.substr(0, 6) == "export" && space_length(rest, 6) > 0) {
      i = skip_spaces(content, i + 6);
      rest = content.substr(i);
    }
    size_t k = 0;
    bool inherited = false, terminated = false;
    while (k < rest.size()) {
      size_t space = space_length(rest, k);
      if (space) {
        k += space;
        continue;
      }
      char c = rest[k];
      if (c == '=' || c == ':' || c == '\n') {
        inherited = c == '\n';
        terminated = true;
        break;
      }
      if (!is_key_char(static_cast<unsigned char>(c))) {
        std::string_view first_line = rest.substr(0, rest.find('\n'));
        return failure("unexpected character \"" + std::string(1, c) + "\" in variable name \"" +
                       std::string(first_line) + "\"");
      }
      ++k;
    }
    if (!terminated) inherited = true;  // a last line without '=' and without a newline: a bare KEY
    std::string key = trim_right_spaces(rest.substr(0, k));
    if (key.find(' ') != std::string::npos) return failure("key cannot contain a space");
    i += std::min(k + 1, rest.size());
    if (inherited) {
      if (lookup) {
        if (auto value = lookup(key)) values[key] = *value;
      }
      ++line;
      continue;
    }
    i = skip_spaces(content, i);

    // The value.
    if (i < n && (content[i] == '"' || content[i] == '\'')) {
      char quote = content[i];
      std::string chars;
      bool escape = false, closed = false;
      size_t j = i + 1;
      for (; j < n; ++j) {
        char c = content[j];
        if (c == '\n') ++line;
        if (c != quote) {
          if (!escape && c == '\\') {
            escape = true;
            continue;
          }
          if (escape) {
            escape = false;
            chars += '\\';
          }
          chars += c;
          continue;
        }
        if (escape) {  // an escaped quote character
          escape = false;
          chars += c;
          continue;
        }
        closed = true;
        break;
      }
      if (!closed) {
        std::string_view first_line = content.substr(i, content.find('\n', i) - i);
        return failure("unterminated quoted value " + std::string(first_line));
      }
      std::string value = chars;
      if (quote == '"') BERTH_TRY(expand(expand_escapes(chars), value));
      values[key] = std::move(value);
      i = j + 1;
      continue;
    }
    size_t end = content.find('\n', i);
    std::string_view raw = content.substr(i, end == std::string_view::npos ? std::string_view::npos : end - i);
    ++line;
    size_t comment = raw.find(" #");
    if (comment != std::string_view::npos) raw = raw.substr(0, comment);
    std::string value;
    BERTH_TRY(expand(trim_right_spaces(raw), value));
    values[key] = std::move(value);
    i = end == std::string_view::npos ? n : end + 1;
  }
  return {};
}

}  // namespace berth::compose
