// Variable substitution in compose values, with the syntax and edge cases of compose-go's template package:
// $VAR, ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?message}, ${VAR?message}, ${VAR:+replacement},
// ${VAR+replacement}, nested templates in defaults and messages, and $$ for a literal $.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::compose {

// The value of a variable, or nullopt when it is not set (set-but-empty is "").
using VariableLookup = std::function<std::optional<std::string>(std::string_view name)>;

struct TemplateError {
  enum class Kind { invalid_template, missing_required };
  Kind kind = Kind::invalid_template;
  std::string variable;  // missing_required: the variable
  std::string reason;    // missing_required: the message after ?, interpolated
  std::string text;      // invalid_template: the whole template

  // "required variable DB_PASSWORD is missing a value: set it in .env" / "invalid interpolation format "${foo!}"".
  std::string message() const;
};

struct Substitution {
  std::string value;
  std::optional<TemplateError> error;
  std::vector<std::string> unset_variables;  // looked up without a default and not set ("defaulting to blank")
};

Substitution substitute(std::string_view text, const VariableLookup& lookup);

// True when `text` contains anything substitute() would change ($VAR, ${...} or $$).
bool has_template(std::string_view text);

}  // namespace berth::compose
