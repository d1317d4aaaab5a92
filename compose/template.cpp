#include "compose/template.h"

namespace berth::compose {

namespace {

bool is_name_start(char c) { return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9'); }

// Defaults and messages may hold templates themselves; this bounds how deep (each level is a recursion).
constexpr int kMaxNesting = 64;

class Substituter {
 public:
  Substituter(const VariableLookup& lookup, Substitution& out, int depth = 0)
      : lookup_(lookup), out_(out), depth_(depth) {}

  // Appends the substitution of `text` to `result`; false (with out_.error set) on the first error.
  bool run(std::string_view text, std::string& result) {
    size_t i = 0;
    const size_t n = text.size();
    while (i < n) {
      char c = text[i];
      if (c != '$' || i + 1 >= n) {
        result += c;
        ++i;
        continue;
      }
      char next = text[i + 1];
      if (next == '$') {
        result += '$';
        i += 2;
        continue;
      }
      if (is_name_start(next)) {
        size_t j = i + 1;
        while (j < n && is_name_char(text[j])) ++j;
        result += lookup_plain(text.substr(i + 1, j - i - 1));
        i = j;
        continue;
      }
      if (next != '{') {
        result += '$';
        ++i;
        continue;
      }
      size_t name_start = i + 2, k = name_start;
      if (k < n && is_name_start(text[k])) {
        ++k;
        while (k < n && is_name_char(text[k])) ++k;
      }
      std::string_view name = text.substr(name_start, k - name_start);
      if (name.empty()) return invalid(text_);
      if (k < n && text[k] == '}') {
        result += lookup_plain(name);
        i = k + 1;
        continue;
      }
      size_t op_start = k;
      if (k < n && text[k] == ':') ++k;
      if (k >= n || (text[k] != '-' && text[k] != '+' && text[k] != '?')) return invalid(text_);
      std::string_view op = text.substr(op_start, k + 1 - op_start);
      // The reference's pattern takes everything up to the last '}' on the line, cuts it at the brace that
      // balances the opening one, and substitutes what follows that brace on its own: the same as going on
      // after the balancing brace. Scanning forward to it keeps long lines of templates linear.
      size_t line_end = text.find('\n', k + 1);
      if (line_end == std::string_view::npos) line_end = n;
      size_t close = std::string_view::npos;
      {
        int open = 0;
        for (size_t p = i; p < line_end; ++p) {
          if (text[p] == '}' && --open == 0) {
            close = p;
            break;
          }
          if (text[p] == '{') {
            ++open;
            ++p;
          }
        }
      }
      size_t match_end = close;  // index of the '}' that ends the template
      if (match_end == std::string_view::npos) {
        // Unbalanced: the pattern still matches up to the last '}' of the line, if there is one.
        size_t last = text.substr(k + 1, line_end - k - 1).rfind('}');
        if (last == std::string_view::npos) return invalid(text_);
        match_end = k + 1 + last;
      }
      // text[i .. match_end] = "${" NAME OP ARG "}"
      std::string_view argument = text.substr(k + 1, match_end - k - 1);
      std::string value;
      if (!apply_operator(name, op, argument, value)) return false;
      result += value;
      i = match_end + 1;
    }
    return true;
  }

  std::string_view text_;

 private:
  std::string lookup_plain(std::string_view name) {
    if (auto value = lookup_(name)) return *value;
    out_.unset_variables.emplace_back(name);
    return "";
  }

  bool invalid(std::string_view whole) {
    TemplateError error;
    error.kind = TemplateError::Kind::invalid_template;
    error.text = std::string(whole);
    out_.error = std::move(error);
    return false;
  }

  bool nested(std::string_view text, std::string& value) {
    if (depth_ >= kMaxNesting) return invalid(text);
    Substituter inner(lookup_, out_, depth_ + 1);
    inner.text_ = text;
    return inner.run(text, value);
  }

  bool apply_operator(std::string_view name, std::string_view op, std::string_view argument, std::string& value) {
    std::optional<std::string> current = lookup_(name);
    bool empty_counts = op.size() == 2;  // the ':' forms treat an empty value as absent
    char kind = op.back();
    if (kind == '-') {
      if (!current || (empty_counts && current->empty())) return nested(argument, value);
      value = *current;
      return true;
    }
    if (kind == '+') {
      if (current && (!empty_counts || !current->empty())) return nested(argument, value);
      value = current.value_or("");
      return true;
    }
    // '?': required
    if (current && (!empty_counts || !current->empty())) {
      value = *current;
      return true;
    }
    std::string reason;
    if (!nested(argument, reason)) return false;
    TemplateError error;
    error.kind = TemplateError::Kind::missing_required;
    error.variable = std::string(name);
    error.reason = std::move(reason);
    out_.error = std::move(error);
    return false;
  }

  const VariableLookup& lookup_;
  Substitution& out_;
  int depth_;
};

}  // namespace

std::string TemplateError::message() const {
  if (kind == Kind::missing_required) {
    if (reason.empty()) return "required variable " + variable + " is missing a value";
    return "required variable " + variable + " is missing a value: " + reason;
  }
  return "invalid interpolation format \"" + text + "\" (you may need to escape any $ with another $)";
}

Substitution substitute(std::string_view text, const VariableLookup& lookup) {
  Substitution out;
  if (text.find('$') == std::string_view::npos) {
    out.value = std::string(text);
    return out;
  }
  Substituter substituter(lookup, out);
  substituter.text_ = text;
  std::string result;
  if (substituter.run(text, result)) out.value = std::move(result);
  return out;
}

bool has_template(std::string_view text) {
  for (size_t i = 0; i + 1 < text.size(); ++i) {
    if (text[i] != '$') continue;
    char next = text[i + 1];
    if (next == '$' || next == '{' || is_name_start(next)) return true;
  }
  return false;
}

}  // namespace berth::compose
