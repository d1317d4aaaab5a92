#include "compose/shell_words.h"

namespace berth::compose {

Result<ShellWords> split_shell_words(std::string_view line) {
  ShellWords out;
  std::string buffer;
  enum class Arg { none, single, quoted } got = Arg::none;
  bool escaped = false, double_quoted = false, single_quoted = false, back_quoted = false, dollar_quoted = false;
  auto flush = [&] {
    if (got == Arg::quoted || (got != Arg::none && !buffer.empty())) out.words.push_back(buffer);
    buffer.clear();
    got = Arg::none;
  };
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (escaped) {
      escaped = false;
      if (back_quoted || dollar_quoted) buffer += '\\';
      buffer += c;
      got = Arg::single;
      continue;
    }
    if (c == '\\') {
      if (single_quoted) buffer += c;
      else escaped = true;
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      if (single_quoted || double_quoted || back_quoted || dollar_quoted) buffer += c;
      else flush();
      continue;
    }
    bool unquoted = !single_quoted && !double_quoted && !back_quoted && !dollar_quoted;
    switch (c) {
      case '`':
        if (!single_quoted && !double_quoted && !dollar_quoted) back_quoted = !back_quoted;
        break;
      case '(':
        if (!single_quoted && !double_quoted && !back_quoted) {
          if (!dollar_quoted && !buffer.empty() && buffer.back() == '$') {
            dollar_quoted = true;
            buffer += c;
            continue;
          }
          return Error("invalid command line string");
        }
        break;
      case ')':
        if (!single_quoted && !double_quoted && !back_quoted) dollar_quoted = !dollar_quoted;
        break;
      case '"':
        if (!single_quoted && !dollar_quoted && !back_quoted) {
          if (double_quoted) got = Arg::quoted;
          double_quoted = !double_quoted;
          continue;
        }
        break;
      case '\'':
        if (!double_quoted && !dollar_quoted && !back_quoted) {
          if (single_quoted) got = Arg::quoted;
          single_quoted = !single_quoted;
          continue;
        }
        break;
      case ';':
      case '&':
      case '|':
      case '<':
      case '>':
        if (unquoted) {
          bool redirect_fd = c == '>' && !buffer.empty() &&
                             buffer.find_first_not_of("0123456789") == std::string::npos;
          if (redirect_fd) got = Arg::none;  // "2>": the digits belong to the redirection
          out.stopped_at = redirect_fd ? i - buffer.size() : i;
          flush();
          return out;
        }
        break;
      default: break;
    }
    got = Arg::single;
    buffer += c;
  }
  flush();
  if (escaped || single_quoted || double_quoted || back_quoted || dollar_quoted)
    return Error("invalid command line string");
  return out;
}

}  // namespace berth::compose
