// `.env` and `env_file` contents as Docker Compose reads them (compose-go's dotenv): KEY=VALUE and KEY: VALUE lines,
// `export`, comments (a line starting with #, or " #" after an unquoted value), single quotes (literal), double
// quotes (escapes, multi-line, variable expansion), bare KEY lines inheriting the value from the environment, and a
// UTF-8 byte order mark.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "compose/template.h"
#include "core/result.h"

namespace berth::compose {

using EnvMap = std::map<std::string, std::string>;

// Parses `content` into `values` (later keys override earlier ones and existing entries). Variables in values are
// resolved with `lookup` first and then with the keys already read. `source` names the file in errors
// ("app.env:3: unterminated quoted value").
Result<void> parse_dotenv(std::string_view content, EnvMap& values, const VariableLookup& lookup,
                          std::string_view source = "");

}  // namespace berth::compose
