// A command given as a string ("bundle exec thin -p 3000") split into arguments as compose-go does (go-shellwords):
// whitespace separates, single and double quotes group, backslash escapes. Like the reference, an unquoted ; & |
// < or > ends the command (what follows is dropped, since no shell runs it); `stopped_at` reports where.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace berth::compose {

struct ShellWords {
  std::vector<std::string> words;
  std::optional<size_t> stopped_at;  // offset of the shell operator that ended the command
};

Result<ShellWords> split_shell_words(std::string_view line);

}  // namespace berth::compose
