// The container environment: Docker's merge of defaults, image and user variables, and --env-file parsing
// (docker/cli opts/parse.go, opts/file.go).
#include <algorithm>

#include "core/text.h"
#include "engine/spec/spec.h"

namespace berth::spec {
namespace {

constexpr std::string_view kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

std::string_view key_of(std::string_view entry) { return entry.substr(0, entry.find('=')); }

// Replaces the entry with the same key in place, or appends. A bare "K" (no '=') removes K.
void replace_or_append(std::vector<std::string>& env, const std::string& entry) {
  auto key = key_of(entry);
  auto existing =
      std::find_if(env.begin(), env.end(), [&](const std::string& current) { return key_of(current) == key; });
  if (entry.find('=') == std::string::npos) {
    if (existing != env.end()) env.erase(existing);
    return;
  }
  if (existing != env.end())
    *existing = entry;
  else
    env.push_back(entry);
}

// Sets the entry with the same key in place (a bare "K" included), or appends.
void set_entry(std::vector<std::string>& env, const std::string& entry) {
  auto key = key_of(entry);
  auto existing =
      std::find_if(env.begin(), env.end(), [&](const std::string& current) { return key_of(current) == key; });
  if (existing != env.end())
    *existing = entry;
  else
    env.push_back(entry);
}

// A strict UTF-8 check (no overlongs, no surrogates), as Go's utf8.Valid.
bool valid_utf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    auto byte = static_cast<unsigned char>(text[i]);
    size_t length = 0;
    uint32_t code_point = 0;
    if (byte < 0x80) {
      ++i;
      continue;
    } else if ((byte & 0xE0) == 0xC0) {
      length = 2;
      code_point = byte & 0x1F;
    } else if ((byte & 0xF0) == 0xE0) {
      length = 3;
      code_point = byte & 0x0F;
    } else if ((byte & 0xF8) == 0xF0) {
      length = 4;
      code_point = byte & 0x07;
    } else {
      return false;
    }
    if (i + length > text.size()) return false;
    for (size_t k = 1; k < length; ++k) {
      auto continuation = static_cast<unsigned char>(text[i + k]);
      if ((continuation & 0xC0) != 0x80) return false;
      code_point = (code_point << 6) | (continuation & 0x3F);
    }
    static constexpr uint32_t kMinimum[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code_point < kMinimum[length] || code_point > 0x10FFFF || (code_point >= 0xD800 && code_point <= 0xDFFF))
      return false;
    i += length;
  }
  return true;
}

}  // namespace

std::vector<std::string> merge_env(const std::vector<std::string>& image_env, const std::vector<std::string>& user_env,
                                   std::string_view hostname, bool tty, std::string_view home) {
  // The container's variables: the user's first, then the image's that the user did not set (Docker's merge of
  // the two configs; a bare "K" from the user also hides the image's K).
  std::vector<std::string> container_env;
  for (const auto& entry : user_env) set_entry(container_env, entry);
  const size_t user_count = container_env.size();
  for (const auto& entry : image_env) {
    auto key = key_of(entry);
    bool set_by_user = std::any_of(container_env.begin(), container_env.begin() + static_cast<long>(user_count),
                                   [&](const std::string& current) { return key_of(current) == key; });
    if (!set_by_user && entry.find('=') != std::string::npos) set_entry(container_env, entry);
  }
  // Then over Docker's defaults: same name replaces in place, new names are appended.
  std::vector<std::string> env;
  env.push_back("PATH=" + std::string(kDefaultPath));
  env.push_back("HOSTNAME=" + std::string(hostname));
  if (tty) env.push_back("TERM=xterm");
  for (const auto& entry : container_env) replace_or_append(env, entry);
  // runc sets HOME from the passwd entry when the environment lacks it; our runtime does not look it up, so the
  // spec carries it.
  bool has_home = std::any_of(env.begin(), env.end(), [](const std::string& e) { return key_of(e) == "HOME"; });
  if (!has_home) env.push_back("HOME=" + std::string(home.empty() ? "/" : home));
  return env;
}

Result<std::vector<std::string>> parse_env_file(
    std::string_view content, const std::function<std::optional<std::string>(const std::string&)>& lookup) {
  static constexpr std::string_view kBom = "\xEF\xBB\xBF";
  static constexpr std::string_view kBlanks = " \t";
  std::vector<std::string> variables;
  size_t line_number = 0;
  for (std::string raw : text::split(content, '\n')) {
    ++line_number;
    if (!raw.empty() && raw.back() == '\r') raw.pop_back();
    if (!valid_utf8(raw))
      return unexpected(Error("env file contains invalid utf8 bytes at line " + std::to_string(line_number)));
    std::string_view line = raw;
    if (line_number == 1 && text::starts_with(line, kBom)) line.remove_prefix(kBom.size());
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.front()))) line.remove_prefix(1);
    if (line.empty() || line.front() == '#') continue;

    auto equals = line.find('=');
    std::string_view name = line.substr(0, equals);
    if (name.find_first_of(kBlanks) != std::string_view::npos)
      return unexpected(
          Error("poorly formatted environment: variable '" + std::string(name) + "' contains whitespaces"));
    if (name.empty())
      return unexpected(Error("poorly formatted environment: no variable name on line '" + std::string(line) + "'"));
    if (equals != std::string_view::npos) {
      variables.push_back(std::string(line));  // the value is kept verbatim, spaces and quotes included
    } else if (lookup) {
      if (auto value = lookup(std::string(name))) variables.push_back(std::string(name) + "=" + *value);
    }
  }
  return variables;
}

}  // namespace berth::spec
